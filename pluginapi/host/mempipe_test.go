package host

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// The in-memory pipe of the in-process plugin carries bytes both ways in
// order, holds what is written before the reader reads, makes a writer
// wait past memPipeMax unread bytes, and ends in io.EOF (for the other
// end, after what was written) or net.ErrClosed (for the closed end).
func TestMemPipe(t *testing.T) {
	a, b := memPipe()
	defer a.Close()
	defer b.Close()
	for _, c := range []struct{ from, to net.Conn }{{a, b}, {b, a}} {
		for _, s := range []string{"one ", "two ", "three"} {
			if _, err := c.from.Write([]byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		buf := make([]byte, len("one two three"))
		if _, err := io.ReadFull(c.to, buf); err != nil || string(buf) != "one two three" {
			t.Fatalf("read %q, %v", buf, err)
		}
	}

	// A writer past memPipeMax waits until the reader takes some.
	big := bytes.Repeat([]byte{7}, memPipeMax)
	if _, err := a.Write(big); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := a.Write([]byte("tail"))
		wrote <- err
	}()
	select {
	case err := <-wrote:
		t.Fatalf("write past the bound returned at once: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	got := make([]byte, memPipeMax+4)
	if _, err := io.ReadFull(b, got[:memPipeMax]); err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(b, got[memPipeMax:]); err != nil || string(got[memPipeMax:]) != "tail" {
		t.Fatalf("tail %q, %v", got[memPipeMax:], err)
	}

	// Close: the other end reads what was written, then io.EOF; the closed
	// end's own reads and writes fail.
	if _, err := a.Write([]byte("last")); err != nil {
		t.Fatal(err)
	}
	a.Close()
	last := make([]byte, 4)
	if _, err := io.ReadFull(b, last); err != nil || string(last) != "last" {
		t.Fatalf("after close: %q, %v", last, err)
	}
	if _, err := b.Read(last); err != io.EOF {
		t.Fatalf("read past the end: %v, want io.EOF", err)
	}
	if _, err := a.Read(last); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read of the closed end: %v, want net.ErrClosed", err)
	}
	if _, err := a.Write(last); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write of the closed end: %v, want net.ErrClosed", err)
	}
	if _, err := b.Write(last); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write towards the closed end: %v, want io.ErrClosedPipe", err)
	}
}
