package server

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWriteCtxDeadlineWithoutTimer(t *testing.T) {
	w := newWriteCtx(time.Hour)
	defer w.release()
	dl, ok := w.Deadline()
	if !ok || time.Until(dl) < 59*time.Minute {
		t.Fatalf("Deadline() = %v, %v; want about an hour from now", dl, ok)
	}
	if err := w.Err(); err != nil {
		t.Fatalf("Err() before the deadline = %v", err)
	}
	if w.inner != nil {
		t.Fatal("Deadline and Err made a timer")
	}
	select {
	case <-w.Done():
		t.Fatal("Done closed before the deadline")
	default:
	}
}

func TestWriteCtxExpires(t *testing.T) {
	w := newWriteCtx(time.Millisecond)
	defer w.release()
	select {
	case <-w.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("Done not closed after the deadline")
	}
	if err := w.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err() = %v, want DeadlineExceeded", err)
	}
}

func TestWriteCtxErrAfterDeadlineWithoutDone(t *testing.T) {
	w := newWriteCtx(-time.Second)
	defer w.release()
	if err := w.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err() = %v, want DeadlineExceeded", err)
	}
}

func TestWriteCtxReleaseStopsTimer(t *testing.T) {
	w := newWriteCtx(time.Hour)
	done := w.Done()
	w.release()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("release did not end the timer's context")
	}
}

func TestWriteCtxDoneAfterReleaseWithoutTimer(t *testing.T) {
	w := newWriteCtx(time.Hour)
	w.release()
	select {
	case <-w.Done():
	default:
		t.Fatal("Done not closed after release")
	}
	if err := w.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err() after release = %v, want Canceled", err)
	}
}
