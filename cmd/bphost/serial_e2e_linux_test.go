package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ttyDevice is the far end of a pseudo-terminal pair: a fake serial toy
// that records what it is sent on the port named by path.
type ttyDevice struct {
	path   string
	master *os.File
	slave  *os.File

	mu      sync.Mutex
	got     []byte
	changed chan struct{}
	done    chan struct{}
}

func newTTYDevice(t *testing.T) *ttyDevice {
	t.Helper()
	ptm, slave, err := pty.Open()
	if err != nil {
		t.Skipf("serial end to end needs pseudo-terminals: %v", err)
	}
	// A non-blocking copy of the master goes through the runtime poller,
	// so that closing it ends the read below.
	fd, err := syscall.Dup(int(ptm.Fd()))
	_ = ptm.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	d := &ttyDevice{path: slave.Name(), master: os.NewFile(uintptr(fd), "ptmx"), slave: slave, changed: make(chan struct{}), done: make(chan struct{})}
	go func() {
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
	}()
	t.Cleanup(func() {
		d.master.Close()
		<-d.done
		d.slave.Close()
	})
	return d
}

// waitFor waits until the device has been sent want.
func (d *ttyDevice) waitFor(t *testing.T, want string) {
	t.Helper()
	limit := time.After(10 * time.Second)
	for {
		d.mu.Lock()
		got, ch := string(d.got), d.changed
		d.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		select {
		case <-ch:
		case <-limit:
			t.Fatalf("the serial device got %q, want %q in it", got, want)
		}
	}
}

// A TCode stroker on a serial port the user device config names is driven
// through the embedded plugin with use-serial.
func TestE2EEmbeddedSerial(t *testing.T) {
	dev := newTTYDevice(t)
	user := filepath.Join(t.TempDir(), "user.json")
	cfg := fmt.Sprintf(`{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"tcode-v03":{"communication":[{"serial":{"port":%q}}]}}}}`, dev.path)
	if err := os.WriteFile(user, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := []string{"--opt", "use-serial=true", "--opt", "use-bluetooth-le=false", "--opt", "user-device-config=" + user}
	code, out, errs := runBphost(t, append(opts, "--json", "devices", "--scan", "1s")...)
	if code != 0 {
		t.Fatalf("devices: exit %d\n%s\n%s", code, out, errs)
	}
	var devs []struct {
		Index uint32 `json:"index"`
		Name  string `json:"name"`
	}
	if err := json.Unmarshal([]byte(out), &devs); err != nil || len(devs) != 1 || !strings.Contains(devs[0].Name, "TCode") {
		t.Fatalf("devices %s: %v; want the one TCode device", out, err)
	}
	idx := fmt.Sprint(devs[0].Index)
	code, out, errs = runBphost(t, append(opts, "position", "--device", idx, "--level", "0.5", "--duration", "500ms")...)
	if code != 0 {
		t.Fatalf("position: exit %d\n%s\n%s", code, out, errs)
	}
	dev.waitFor(t, "L0500I500\n")
}

// `bphost serve --use-serial --user-device-config F` serves the same toy to
// a client that comes through the websocket plugin.
func TestE2EServeSerial(t *testing.T) {
	dev := newTTYDevice(t)
	user := filepath.Join(t.TempDir(), "user.json")
	cfg := fmt.Sprintf(`{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"tcode-v03":{"communication":[{"serial":{"port":%q}}]}}}}`, dev.path)
	if err := os.WriteFile(user, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	url, _ := serveWith(t, nil, "--listen", "ws://"+freePort(t), "--use-serial", "--use-bluetooth-le=false", "--user-device-config", user)
	conn := []string{"--connector", "websocket", "--opt", "address=" + url}
	code, out, errs := runBphost(t, append(conn, "devices", "--scan", "1s")...)
	if code != 0 || !strings.Contains(out, "TCode") {
		t.Fatalf("devices: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runBphost(t, append(conn, "position", "--device", "0", "--level", "0.25", "--duration", "300ms")...)
	if code != 0 {
		t.Fatalf("position: exit %d\n%s\n%s", code, out, errs)
	}
	dev.waitFor(t, "L0250I300\n")
}
