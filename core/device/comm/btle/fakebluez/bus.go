package fakebluez

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ErrNoDaemon is wrapped by StartBus when dbus-daemon is not installed.
var ErrNoDaemon = errors.New("dbus-daemon not found (install the dbus package)")

// Bus is a private dbus-daemon: its own configuration in a temporary
// directory, a unix socket there, EXTERNAL authentication and a policy that
// allows everything unless a BusOption says otherwise. It never touches the
// machine's system bus.
type Bus struct {
	dir     string
	address string
	cmd     *exec.Cmd
	stderr  *limitedBuffer
	exited  chan struct{} // closed once the daemon was reaped
	once    sync.Once
	err     error
}

// BusOption configures StartBus.
type BusOption func(*busConfig)

type busConfig struct {
	denyBlueZ bool
}

// DenyBlueZ makes the bus policy refuse every message sent to org.bluez, as
// the system bus does for a user outside the bluetooth group, so clients
// get org.freedesktop.DBus.Error.AccessDenied. The stand-in can still own
// the name.
func DenyBlueZ() BusOption { return func(c *busConfig) { c.denyBlueZ = true } }

const busConfigTemplate = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>%s
  </policy>
</busconfig>
`

// StartBus runs a private dbus-daemon and returns once it listens. ctx
// bounds the start only; the daemon runs until Close. It fails with an
// error wrapping ErrNoDaemon when dbus-daemon is not installed.
func StartBus(ctx context.Context, opts ...BusOption) (*Bus, error) {
	var cfg busConfig
	for _, o := range opts {
		o(&cfg)
	}
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return nil, fmt.Errorf("fakebluez: start bus: %w: %w", ErrNoDaemon, err)
	}
	dir, err := os.MkdirTemp("", "fakebluez-")
	if err != nil {
		return nil, fmt.Errorf("fakebluez: start bus: %w", err)
	}
	extra := ""
	if cfg.denyBlueZ {
		// Later rules of a policy win, so this overrides the allow above
		// for everyone sending to org.bluez, owner included; owning the
		// name is a separate rule.
		extra = "\n    <deny send_destination=\"org.bluez\"/>"
	}
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfigTemplate, filepath.Join(dir, "bus"), extra), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("fakebluez: write bus configuration: %w", err)
	}
	b := &Bus{dir: dir, stderr: &limitedBuffer{max: 64 << 10}, exited: make(chan struct{})}
	addr := &firstLine{ch: make(chan string, 1)}
	b.cmd = exec.Command(daemon, "--config-file="+conf, "--nofork", "--print-address=1")
	b.cmd.Stdout = addr
	b.cmd.Stderr = b.stderr
	if err := b.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("fakebluez: start %s: %w", daemon, err)
	}
	go func() {
		b.err = b.cmd.Wait()
		close(b.exited)
	}()
	select {
	case a := <-addr.ch:
		b.address = a
		return b, nil
	case <-b.exited:
		err = fmt.Errorf("fakebluez: dbus-daemon exited before listening (%v): %s", b.err, b.stderr.String())
	case <-ctx.Done():
		err = fmt.Errorf("fakebluez: dbus-daemon did not print its address: %w (stderr: %s)", ctx.Err(), b.stderr.String())
	}
	_ = b.Close()
	return nil, err
}

// Address returns the bus address to connect to (or to put in
// DBUS_SYSTEM_BUS_ADDRESS), "unix:path=/tmp/fakebluez-…/bus,guid=…".
func (b *Bus) Address() string { return b.address }

// Close kills the daemon, waits for it and removes its directory. It is
// idempotent.
func (b *Bus) Close() error {
	var err error
	b.once.Do(func() {
		_ = b.cmd.Process.Kill()
		<-b.exited
		if e := os.RemoveAll(b.dir); e != nil {
			err = fmt.Errorf("fakebluez: remove bus directory: %w", e)
		}
	})
	return err
}

// firstLine hands the first line written to it to ch and drops the rest.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	done bool
	ch   chan string
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return len(p), nil
	}
	f.buf = append(f.buf, p...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 {
		f.done = true
		f.ch <- strings.TrimSpace(string(f.buf[:i]))
	}
	return len(p), nil
}

// limitedBuffer keeps the first max bytes written to it, for error
// messages.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.TrimSpace(l.buf.String())
}
