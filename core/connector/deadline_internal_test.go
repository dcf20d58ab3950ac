package connector

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

func TestDeadlineDeadlineWithoutTimer(t *testing.T) {
	w := NewDeadline(context.Background(), time.Now().Add(time.Hour))
	defer w.Release()
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

func TestDeadlineExpires(t *testing.T) {
	w := NewDeadline(context.Background(), time.Now().Add(time.Millisecond))
	defer w.Release()
	select {
	case <-w.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("Done not closed after the deadline")
	}
	if err := w.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err() = %v, want DeadlineExceeded", err)
	}
}

func TestDeadlineErrAfterDeadlineWithoutDone(t *testing.T) {
	w := NewDeadline(context.Background(), time.Now().Add(-time.Second))
	defer w.Release()
	if err := w.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err() = %v, want DeadlineExceeded", err)
	}
}

func TestDeadlineReleaseStopsTimer(t *testing.T) {
	w := NewDeadline(context.Background(), time.Now().Add(time.Hour))
	done := w.Done()
	w.Release()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Release did not end the timer's context")
	}
}

func TestDeadlineDoneAfterReleaseWithoutTimer(t *testing.T) {
	w := NewDeadline(context.Background(), time.Now().Add(time.Hour))
	w.Release()
	select {
	case <-w.Done():
	default:
		t.Fatal("Done not closed after Release")
	}
	if err := w.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err() after Release = %v, want Canceled", err)
	}
}

func TestDeadlineEndsWithParent(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	w := NewDeadline(parent, time.Now().Add(time.Hour))
	defer w.Release()
	cancel()
	if err := w.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err() after the parent's cancel = %v, want Canceled", err)
	}
	select {
	case <-w.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("Done not closed after the parent's cancel")
	}
}

func TestDeadlineIsTheEarlier(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pd, _ := parent.Deadline()
	for _, tc := range []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"parent's earlier", pd.Add(time.Hour), pd},
		{"own earlier", pd.Add(-time.Second), pd.Add(-time.Second)},
	} {
		w := NewDeadline(parent, tc.at)
		if dl, ok := w.Deadline(); !ok || !dl.Equal(tc.want) {
			t.Errorf("%s: Deadline() = %v, %v; want %v", tc.name, dl, ok, tc.want)
		}
		w.Release()
	}
}

type key struct{}

func TestDeadlineValueIsParents(t *testing.T) {
	w := NewDeadline(context.WithValue(context.Background(), key{}, "v"), time.Now().Add(time.Hour))
	defer w.Release()
	if got := w.Value(key{}); got != "v" {
		t.Fatalf("Value = %v, want the parent's", got)
	}
}

// deadlineConn records the write deadlines set on it.
type deadlineConn struct {
	net.Conn
	sets []time.Time
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	c.sets = append(c.sets, t)
	return nil
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.sets = append(c.sets, t)
	return nil
}

func TestCoarseWriteDeadline(t *testing.T) {
	inner := &deadlineConn{}
	conn := CoarseWriteDeadline(inner)
	const timeout = 10 * time.Second

	// A burst of writes, each asking for its own deadline, shares one
	// socket deadline, and it is never earlier than any of them asked.
	var asked []time.Time
	for range 100 {
		at := time.Now().Add(timeout)
		asked = append(asked, at)
		if err := conn.SetWriteDeadline(at); err != nil {
			t.Fatal(err)
		}
	}
	if len(inner.sets) != 1 {
		t.Fatalf("a burst of 100 writes set the socket deadline %d times, want 1", len(inner.sets))
	}
	set := inner.sets[0]
	for _, at := range asked {
		if set.Before(at) {
			t.Fatalf("socket deadline %v is before the asked %v", set, at)
		}
	}
	if late := set.Sub(asked[0]); late > timeout/4+time.Second {
		t.Fatalf("socket deadline %v after the first asked, want at most a quarter of %v", late, timeout)
	}

	// A shorter deadline than the one held is set at once.
	short := time.Now().Add(time.Second)
	if err := conn.SetWriteDeadline(short); err != nil {
		t.Fatal(err)
	}
	if n := len(inner.sets); n != 2 || inner.sets[1].Before(short) || inner.sets[1].Sub(short) > time.Second/4+time.Second {
		t.Fatalf("after a shorter deadline the socket holds %v (sets %d), want %v plus at most a quarter second", inner.sets[len(inner.sets)-1], n, short)
	}

	// A deadline much later than the one held moves it.
	if err := conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	if len(inner.sets) != 3 {
		t.Fatalf("a deadline 9 s later than the held one was not set (sets %d)", len(inner.sets))
	}

	// Zero clears once; a second zero is a no-op.
	for range 2 {
		if err := conn.SetWriteDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(inner.sets) != 4 || !inner.sets[3].IsZero() {
		t.Fatalf("zero deadline: sets %v, want one zero set", inner.sets[3:])
	}

	// SetDeadline passes through and is remembered: the same write
	// deadline right after it is not set again.
	at := time.Now().Add(timeout)
	if err := conn.SetDeadline(at); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetWriteDeadline(at); err != nil {
		t.Fatal(err)
	}
	if len(inner.sets) != 5 {
		t.Fatalf("SetDeadline then the same SetWriteDeadline: %d sets, want 5", len(inner.sets))
	}
}
