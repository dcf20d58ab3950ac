package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/bphost/bphost/core/server/listen"
)

// The websocket listener's policy, over a real socket: pages from origins
// not listed, and requests naming a Host that is not this loopback server
// (DNS rebinding), get 403; others are served.
func TestWebsocketOriginAndHost(t *testing.T) {
	r := newRig(t, rigOpts{})
	ctx, cancel := context.WithCancel(ctxT(t))
	l, err := listen.Listen(ctx, "ws://127.0.0.1:0", listen.WithAllowedOrigins("https://app.example.com", "*.trusted.example"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- listen.Serve(ctx, r.srv, l) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	if p := l.Policy(); !strings.Contains(p, "app.example.com") || !strings.Contains(p, "DNS rebinding") {
		t.Errorf("policy %q", p)
	}
	for _, tc := range []struct {
		name, origin, host string
		status             int
	}{
		{"no origin (not a browser)", "", "", http.StatusSwitchingProtocols},
		{"listed origin", "https://app.example.com", "", http.StatusSwitchingProtocols},
		{"listed domain", "https://x.trusted.example", "localhost", http.StatusSwitchingProtocols},
		{"other origin", "https://evil.example", "", http.StatusForbidden},
		{"rebinding host", "https://app.example.com", "evil.example", http.StatusForbidden},
		{"rebinding host, no origin", "", "evil.example:80", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			if tc.host != "" {
				h.Set("Host", tc.host)
			}
			ws, resp, err := websocket.DefaultDialer.DialContext(ctxT(t), l.URL(), h)
			if ws != nil {
				ws.Close()
			}
			if resp == nil {
				t.Fatalf("no HTTP answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tc.status, err)
			}
		})
	}
}
