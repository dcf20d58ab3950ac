package pluginapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/bphost/bphost/core/connector"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Errors keep their meaning across the boundary: what a transport returns
// is what the host's caller can branch on.
func TestErrorsCrossTheBoundary(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		fallback codes.Code
		code     codes.Code
		is       error // nil: a RemoteError of no known kind
		text     string
	}{
		{"absent", fmt.Errorf("dial tcp 127.0.0.1:9: %w", connector.ErrServerAbsent), codes.Unknown, codes.Unavailable, connector.ErrServerAbsent, "dial tcp 127.0.0.1:9: no server"},
		{"refused", fmt.Errorf("ws: 403: %w", connector.ErrRefused), codes.Unknown, codes.PermissionDenied, connector.ErrRefused, "ws: 403: connection refused by server"},
		{"options", fmt.Errorf("%w: option x", ErrInvalidOptions), codes.Unknown, codes.InvalidArgument, ErrInvalidOptions, "invalid options: option x"},
		{"too large", connector.ErrFrameTooLarge, codes.Aborted, codes.ResourceExhausted, connector.ErrFrameTooLarge, "frame too large"},
		{"peer closed", connector.Disconnected(connector.ErrPeerClosed), codes.Aborted, codes.Aborted, connector.ErrPeerClosed, "closed by peer"},
		{"network", connector.Disconnected(errors.New("read: connection reset")), codes.Aborted, codes.Aborted, nil, "read: connection reset"},
		{"other open failure", errors.New("tls: bad certificate"), codes.Unknown, codes.Unknown, nil, "tls: bad certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := toStatus(tc.err, tc.fallback)
			if got := status.Code(st); got != tc.code {
				t.Errorf("code %v, want %v", got, tc.code)
			}
			re, ok := fromStatus("p", st)
			if !ok {
				t.Fatalf("fromStatus(%v) found no detail", st)
			}
			if re.Error() != "plugin p: "+tc.text {
				t.Errorf("text %q, want %q", re.Error(), "plugin p: "+tc.text)
			}
			if tc.is != nil && !errors.Is(re, tc.is) {
				t.Errorf("%v does not wrap %v", re, tc.is)
			}
			if tc.is == nil && re.Unwrap() != nil {
				t.Errorf("%v wraps %v", re, re.Unwrap())
			}
		})
	}
	for _, err := range []error{context.Canceled, context.DeadlineExceeded} {
		if _, ok := fromStatus("p", toStatus(err, codes.Unknown)); ok {
			t.Errorf("%v crossed as a transport error", err)
		}
	}
	if _, ok := fromStatus("p", status.Error(codes.Unavailable, "transport is closing")); ok {
		t.Error("a status without detail was taken for the transport's")
	}
	if _, ok := fromStatus("p", io.EOF); ok {
		t.Error("a plain error was taken for the transport's")
	}
}

func TestHandshakeFilter(t *testing.T) {
	const hs = "1|1|unix|/tmp/plugin123|grpc|MIIBcert\n"
	for _, tc := range []struct {
		name, in, want string
		noise          int
	}{
		{"clean", hs + "after\n", hs + "after\n", 0},
		{"noise first", "hello\n\n1|1|tcp|not-a-handshake\n" + hs + "after\n", hs + "after\n", 2},
		{"old format", "x\n1|1|tcp|127.0.0.1:1234|grpc\n", "1|1|tcp|127.0.0.1:1234|grpc\n", 1},
		{"long noise", strings.Repeat("n", 100<<10) + "\n" + hs, hs, 2},
		{"no handshake", "just noise\n", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged logCounter
			f := &handshakeFilter{r: bufio.NewReaderSize(strings.NewReader(tc.in), 64<<10), c: io.NopCloser(nil),
				log: hclog.New(&hclog.LoggerOptions{Output: &logged, Level: hclog.Warn})}
			got, err := io.ReadAll(f)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("passed %q, want %q", got, tc.want)
			}
			if logged.n != tc.noise {
				t.Errorf("%d noise lines logged, want %d", logged.n, tc.noise)
			}
		})
	}
}

type logCounter struct{ n int }

func (l *logCounter) Write(b []byte) (int, error) {
	l.n += strings.Count(string(b), "\n")
	return len(b), nil
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	tb := &tailBuffer{max: 10}
	for _, s := range []string{"hello ", "wonderful ", "world\n"} {
		tb.Write([]byte(s))
	}
	if got := tb.String(); got != "ful world" {
		t.Errorf("tail %q", got)
	}
}

func TestLineLogger(t *testing.T) {
	var out strings.Builder
	l := &lineLogger{log: hclog.New(&hclog.LoggerOptions{Output: &out, Level: hclog.Debug}), stream: "stdout"}
	l.Write([]byte("one\ntw"))
	l.Write([]byte("o\r\n\nthree"))
	got := out.String()
	if !strings.Contains(got, "line=one") || !strings.Contains(got, "line=two") || strings.Contains(got, "three") {
		t.Errorf("logged:\n%s", got)
	}
	if n := strings.Count(got, "plugin output"); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
}

// FuzzHandshakeFilter: whatever a plugin prints, the filter passes nothing,
// or a handshake line and then everything after it unchanged.
func FuzzHandshakeFilter(f *testing.F) {
	f.Add([]byte("1|1|unix|/tmp/p|grpc|cert\nrest"))
	f.Add([]byte("noise\n1|1|tcp|127.0.0.1:1|grpc\n"))
	f.Add([]byte("1|1|tcp|x\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		hf := &handshakeFilter{r: bufio.NewReaderSize(bytes.NewReader(in), 64), c: io.NopCloser(nil), log: hclog.NewNullLogger()}
		out, err := io.ReadAll(hf)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) == 0 {
			return
		}
		line, _, _ := bytes.Cut(out, []byte("\n"))
		if !handshakeLine.Match(line) {
			t.Fatalf("passed %q first", line)
		}
		if !bytes.HasSuffix(in, out) {
			t.Fatalf("output %q is not the input's tail", out)
		}
	})
}
