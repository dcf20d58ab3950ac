package pluginapi

import (
	"runtime"
	"testing"
)

// A plugin runs on one P unless its environment sets GOMAXPROCS, which
// then stays as the runtime read it.
func TestOneProc(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	for _, tc := range []struct {
		env  string
		want int
	}{
		{env: "", want: 1},
		{env: "3", want: 3},
	} {
		runtime.GOMAXPROCS(3)
		got := oneProc(func(k string) string {
			if k != "GOMAXPROCS" {
				t.Fatalf("read %s", k)
			}
			return tc.env
		})
		if got != tc.want || runtime.GOMAXPROCS(0) != tc.want {
			t.Errorf("GOMAXPROCS=%q: oneProc = %d, runtime has %d; want %d", tc.env, got, runtime.GOMAXPROCS(0), tc.want)
		}
	}
}
