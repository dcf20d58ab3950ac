//go:build unix

package host

import (
	"io"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The in-process pair carries bytes both ways, ends in io.EOF when one end
// closes, and is never inherited by a plugin started meanwhile.
func TestConnPair(t *testing.T) {
	a, b, err := connPair()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	for _, c := range []struct {
		from, to interface {
			Write([]byte) (int, error)
			Read([]byte) (int, error)
		}
	}{{a, b}, {b, a}} {
		if _, err := c.from.Write([]byte("frame")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c.to, buf); err != nil || string(buf) != "frame" {
			t.Fatalf("read %q, %v", buf, err)
		}
	}
	for _, c := range []any{a, b} {
		raw, err := c.(syscall.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var flags int
		var ferr error
		if err := raw.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFD, 0) }); err != nil || ferr != nil {
			t.Fatal(err, ferr)
		}
		if flags&unix.FD_CLOEXEC == 0 {
			t.Fatal("an end of the pair is inherited across exec")
		}
	}
	a.Close()
	if n, err := b.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("read after the other end closed: %d, %v", n, err)
	}
}
