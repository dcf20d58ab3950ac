package observers

import (
	"sync"
	"testing"
)

func TestAddNotifyRemove(t *testing.T) {
	var l List[int]
	var mu sync.Mutex
	got := map[string][]int{}
	rec := func(name string) func(int) {
		return func(v int) { mu.Lock(); got[name] = append(got[name], v); mu.Unlock() }
	}
	removeA := l.Add(rec("a"))
	l.Add(rec("b"))
	l.Notify(1)
	removeA()
	removeA() // idempotent
	l.Notify(2)
	if len(got["a"]) != 1 || got["a"][0] != 1 {
		t.Errorf("a got %v, want [1]", got["a"])
	}
	if len(got["b"]) != 2 || got["b"][1] != 2 {
		t.Errorf("b got %v, want [1 2]", got["b"])
	}
}

func TestZeroListNotifies(t *testing.T) {
	var l List[string]
	l.Notify("nobody listens") // must not panic
}

func TestConcurrentUse(t *testing.T) {
	var l List[int]
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			remove := l.Add(func(int) {})
			l.Notify(i)
			remove()
		}()
	}
	wg.Wait()
}
