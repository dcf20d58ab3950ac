package btle

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestAwait(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	t.Run("result", func(t *testing.T) {
		v, err := await(context.Background(), func() (int, error) { return 7, nil }, nil)
		if v != 7 || err != nil {
			t.Fatalf("%d, %v", v, err)
		}
	})
	t.Run("error", func(t *testing.T) {
		boom := errors.New("boom")
		if _, err := await(context.Background(), func() (int, error) { return 0, boom }, nil); !errors.Is(err, boom) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("deadline, then a late success is undone", func(t *testing.T) {
		release := make(chan struct{})
		undone := make(chan int, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := await(ctx, func() (int, error) { <-release; return 9, nil }, func(v int) { undone <- v })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%v", err)
		}
		close(release)
		select {
		case v := <-undone:
			if v != 9 {
				t.Fatalf("undid %d", v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the late result was not handed to late")
		}
	})
	t.Run("a late failure needs no undoing", func(t *testing.T) {
		release := make(chan struct{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan struct{})
		_, err := await(ctx, func() (int, error) { defer close(done); <-release; return 0, errors.New("late") }, func(int) { t.Error("late called for a failure") })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%v", err)
		}
		close(release)
		<-done
	})
}
