package proc

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

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
	tb := NewTailBuffer(10)
	for _, s := range []string{"hello ", "wonderful ", "world\n"} {
		tb.Write([]byte(s))
	}
	if got := tb.String(); got != "ful world" {
		t.Errorf("tail %q", got)
	}
}

func TestLineLogger(t *testing.T) {
	var out strings.Builder
	l := NewLineLogger(hclog.New(&hclog.LoggerOptions{Output: &out, Level: hclog.Debug}), "stdout")
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
