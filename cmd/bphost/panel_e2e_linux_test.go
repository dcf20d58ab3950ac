//go:build linux

package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"
)

// `bphost serve --http` prints the panel's URL with its token; the REST API
// there drives the simulated toy and refuses a request without the token.
func TestServePanel(t *testing.T) {
	_, out := serveWith(t, nil, "--listen", "ws://"+freePort(t), "--http", "127.0.0.1:0",
		"--simulate", "Lovense Hush", "--use-bluetooth-le=false")
	out.wait(t, "control panel on http://")
	m := regexp.MustCompile(`control panel on (http://[^/]+)/#token=([0-9a-f]+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no panel URL in\n%s", out)
	}
	base, token := m[1], m[2]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call := func(method, path, tok string) int {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, nil)
		if tok != "" {
			req.Header.Set("X-Bphost-Token", tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode
	}
	if st := call("GET", "/", ""); st != 200 {
		t.Fatalf("panel page: %d", st)
	}
	if st := call("GET", "/api/v1/start-scanning", token); st != 200 {
		t.Fatalf("start scanning: %d", st)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		if st := call("PUT", "/api/v1/devices/0/outputs/Vibrate/0.5", token); st == 200 {
			break
		} else if st != 404 || time.Now().After(deadline) {
			t.Fatalf("vibrate: %d", st)
		}
		time.Sleep(50 * time.Millisecond) // the Hush is still connecting
	}
	out.wait(t, `Lovense Hush <- write tx "Vibrate:10;"`)
	if st := call("PUT", "/api/v1/devices/0/outputs/Vibrate/1", ""); st != 401 {
		t.Fatalf("without the token: %d, want 401", st)
	}
	http.DefaultClient.CloseIdleConnections()
}
