package serial

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"go.bug.st/serial"

	"github.com/bphost/bphost/core/device/config"
)

// The errors of an open say, in one line, which port and what to do;
// permission is checked here since tests may run as root, who opens
// anything.
func TestClassify(t *testing.T) {
	const port = "/dev/ttyUSB7"
	cases := []struct {
		err   error
		want  error
		words string
	}{
		{syscall.EACCES, ErrPermission, "dialout group"},
		{syscall.EPERM, ErrPermission, "dialout group"},
		{syscall.EBUSY, ErrBusy, "another program"},
		{&serial.PortError{}, ErrBusy, "another program"}, // code 0 is PortBusy
		{syscall.ENOENT, ErrNotFound, "plug the device in"},
		{syscall.ENOTTY, ErrNotSerial, "fix the port"},
		{syscall.EISDIR, ErrNotSerial, "fix the port"},
		{fmt.Errorf("wrapped: %w", syscall.EIO), syscall.EIO, "input/output error"},
	}
	for _, c := range cases {
		err := classify(port, c.err)
		msg := err.Error()
		if !errors.Is(err, c.want) || !strings.Contains(msg, port) || !strings.Contains(msg, c.words) || strings.Contains(msg, "\n") {
			t.Errorf("classify(%v) = %q, want %v naming %s and %q", c.err, msg, c.want, port, c.words)
		}
	}
}

func TestMode(t *testing.T) {
	base := &config.SerialSpecifier{Port: DefaultPort, BaudRate: 19200, DataBits: 7, StopBits: 2, Parity: "E"}
	cases := []struct {
		name string
		spec config.SerialSpecifier
		base *config.SerialSpecifier
		want serial.Mode
		err  bool
	}{
		{"from the protocol", config.SerialSpecifier{Port: "p"}, base, serial.Mode{BaudRate: 19200, DataBits: 7, StopBits: serial.TwoStopBits, Parity: serial.EvenParity}, false},
		{"user settings win", config.SerialSpecifier{Port: "p", BaudRate: 115200, DataBits: 8, StopBits: 1, Parity: "o"}, base, serial.Mode{BaudRate: 115200, DataBits: 8, Parity: serial.OddParity}, false},
		{"9600 8N1", config.SerialSpecifier{Port: "p"}, nil, serial.Mode{BaudRate: 9600, DataBits: 8}, false},
		{"mark", config.SerialSpecifier{Port: "p", Parity: "M"}, nil, serial.Mode{BaudRate: 9600, DataBits: 8, Parity: serial.MarkParity}, false},
		{"bad parity", config.SerialSpecifier{Port: "p", Parity: "X"}, nil, serial.Mode{}, true},
		{"bad data bits", config.SerialSpecifier{Port: "p", DataBits: 9}, nil, serial.Mode{}, true},
		{"bad stop bits", config.SerialSpecifier{Port: "p", StopBits: 3}, nil, serial.Mode{}, true},
	}
	for _, c := range cases {
		md, err := mode(withDefaults(c.spec, c.base))
		if c.err {
			if !errors.Is(err, ErrSettings) {
				t.Errorf("%s: %v, want ErrSettings", c.name, err)
			}
			continue
		}
		if err != nil || *md != c.want {
			t.Errorf("%s: %+v, %v; want %+v", c.name, md, err, c.want)
		}
	}
}
