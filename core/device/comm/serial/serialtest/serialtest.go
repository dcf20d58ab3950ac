//go:build linux || darwin

// Package serialtest gives tests a serial device without hardware: the far
// end of a pseudo-terminal pair, whose port path a user device
// configuration can name. It records what the port sends, answers with
// Send, and is unplugged by Unplug (or when the test ends).
package serialtest

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// Device is the device end of a pseudo-terminal pair.
type Device struct {
	// Path is the port to open (the pty's slave), e.g. /dev/pts/3.
	Path string

	t      testing.TB
	master *os.File
	slave  *os.File // kept open so the master does not read EIO before the port opens

	mu      sync.Mutex
	got     []byte
	changed chan struct{}
	done    chan struct{}
	once    sync.Once
}

// New opens a pseudo-terminal pair; the test is skipped, saying why, where
// there are none. A device that is not reading takes nothing, like a stuck
// one, so writes to the port block once its buffer is full.
func New(t testing.TB, reading bool) *Device {
	t.Helper()
	ptm, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	// A non-blocking copy of the master goes through the runtime poller,
	// so that closing it ends a read in progress.
	fd, err := syscall.Dup(int(ptm.Fd()))
	_ = ptm.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	d := &Device{Path: slave.Name(), t: t, master: os.NewFile(uintptr(fd), "ptmx"), slave: slave, changed: make(chan struct{}), done: make(chan struct{})}
	if reading {
		go d.read()
	} else {
		close(d.done)
	}
	t.Cleanup(func() {
		d.Unplug()
		_ = slave.Close()
	})
	return d
}

func (d *Device) read() {
	defer close(d.done)
	buf := make([]byte, 1024)
	for {
		n, err := d.master.Read(buf)
		if n > 0 {
			d.mu.Lock()
			d.got = append(d.got, buf[:n]...)
			close(d.changed)
			d.changed = make(chan struct{})
			d.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// Unplug closes the device end, as pulling the cable does.
func (d *Device) Unplug() {
	d.once.Do(func() { _ = d.master.Close() })
	<-d.done
}

// Send writes b to the port as the device.
func (d *Device) Send(b string) {
	d.t.Helper()
	if _, err := d.master.Write([]byte(b)); err != nil {
		d.t.Fatalf("device write: %v", err)
	}
}

// Expect waits until the device received exactly want since the last
// Expect (more is a failure too).
func (d *Device) Expect(want []byte) {
	d.t.Helper()
	timeout := time.After(3 * time.Second)
	for {
		d.mu.Lock()
		got, ch := d.got, d.changed
		if len(got) >= len(want) {
			d.got = d.got[len(want):]
		}
		d.mu.Unlock()
		if len(got) >= len(want) {
			if !bytes.Equal(got, want) {
				d.t.Fatalf("device received %q, want %q", got, want)
			}
			return
		}
		select {
		case <-ch:
		case <-timeout:
			d.t.Fatalf("device received %q, want %q", got, want)
		}
	}
}

// WaitFor waits until what the device received contains want, whatever
// came before it.
func (d *Device) WaitFor(want string) {
	d.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		d.mu.Lock()
		got, ch := string(d.got), d.changed
		d.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			d.t.Fatalf("the serial device got %q, want %q in it", got, want)
		}
	}
}
