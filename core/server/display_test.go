package server_test

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/bphost/bphost/core/server"
)

func TestDisplayName(t *testing.T) {
	long := strings.Repeat("é", 1<<20)
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Intiface Central", "Intiface Central"},
		{"empty", "", ""},
		{"exactly the limit", strings.Repeat("a", server.DisplayMax), strings.Repeat("a", server.DisplayMax)},
		{"one over", strings.Repeat("a", server.DisplayMax+1), strings.Repeat("a", server.DisplayMax) + "…"},
		{"a mebibyte of runes", long, strings.Repeat("é", server.DisplayMax) + "…"},
		{"terminal escape", "x\x1b[2Jy", `x\x1b[2Jy`},
		{"newline and tab", "a\nb\tc", `a\nb\tc`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"not UTF-8", "a\xffb", `a\xffb`},
		{"quotes kept", `say "hi"`, `say "hi"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := server.DisplayName(tc.in)
			if got != tc.want {
				t.Fatalf("DisplayName(%.80q) = %q, want %q", tc.in, got, tc.want)
			}
			for _, r := range got {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("control character %U left in %q", r, got)
				}
			}
			if !utf8.ValidString(got) {
				t.Fatalf("not UTF-8: %q", got)
			}
		})
	}
}

func FuzzDisplayName(f *testing.F) {
	f.Add("client")
	f.Add("a\x1b\xff\u2028")
	f.Fuzz(func(t *testing.T, in string) {
		got := server.DisplayName(in)
		if !utf8.ValidString(got) {
			t.Fatalf("not UTF-8: %q", got)
		}
		if n := utf8.RuneCountInString(got); n > server.DisplayMax*len(`\u2028`)+1 {
			t.Fatalf("%d runes", n)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("control character %U left in %q", r, got)
			}
		}
	})
}

// A client named with a mebibyte: the server's log lines and the refusal
// another client reads carry DisplayMax runes of it, not the whole.
func TestHugeClientNameShortened(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	r := newRig(t, rigOpts{server: []server.Option{server.WithLogger(log)}})
	name := strings.Repeat("n", 1<<20-256) // the whole frame within the limit
	c := r.raw()
	c.send(`[{"RequestServerInfo":{"Id":1,"ClientName":"` + name + `","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]`)
	if f := c.recv(); !strings.Contains(f, `"ServerInfo"`) {
		t.Fatalf("handshake: %.200s", f)
	}
	if e := r.sessionEvent(server.SessionStarted, 1); e.Client != name {
		t.Fatalf("the session event lost the name: %d bytes", len(e.Client))
	}
	other := r.raw()
	other.send(`[{"RequestServerInfo":{"Id":3,"ClientName":"other","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]`)
	e := other.expectError(3, 1)
	if len(e.Message) > 400 || !strings.Contains(e.Message, strings.Repeat("n", server.DisplayMax)+"…") {
		t.Fatalf("refusal of %d bytes: %.200s", len(e.Message), e.Message)
	}
	c.send(`[{"Disconnect":{"Id":2}}]`)
	c.closed()
	r.sessionEvent(server.SessionEnded, 1)
	mu.Lock()
	defer mu.Unlock()
	if logs.Len() > 4096 || !strings.Contains(logs.String(), strings.Repeat("n", server.DisplayMax)+"…") {
		t.Fatalf("%d bytes of logs: %.300s", logs.Len(), logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
