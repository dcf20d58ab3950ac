package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bphost/bphost/core/httpapi"
)

// A page on another origin cannot drive a toy: without the token it is
// refused, its preflight gets no CORS grant, and a request addressed to a
// foreign host name (DNS rebinding) is refused even with the token.
func TestCrossOriginRefused(t *testing.T) {
	r := newRig(t, true)
	out := "/api/v1/devices/" + r.index("Lovense Hush") + "/outputs/Vibrate/0.5"
	evil := "http://evil.example"
	cases := []struct {
		name   string
		method string
		path   string
		hdr    map[string]string
		status int
	}{
		{"no token", "PUT", out, map[string]string{httpapi.TokenHeader: ""}, 401},
		{"wrong token", "PUT", out, map[string]string{httpapi.TokenHeader: "guess"}, 401},
		{"cross-origin without token", "PUT", out, map[string]string{httpapi.TokenHeader: "", "Origin": evil}, 403},
		{"cross-origin simple GET without token", "GET", "/api/v1/start-scanning", map[string]string{httpapi.TokenHeader: "", "Origin": evil}, 403},
		{"cross-origin with the token", "PUT", out, map[string]string{"Origin": evil}, 403},
		{"event stream without token", "GET", "/api/v1/events", map[string]string{httpapi.TokenHeader: "", "Origin": evil}, 403},
		{"preflight", "OPTIONS", out, map[string]string{
			httpapi.TokenHeader: "", "Origin": evil,
			"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-bphost-token",
		}, 403},
		{"preflight of the own origin", "OPTIONS", out, map[string]string{httpapi.TokenHeader: ""}, 403},
		{"rebound host name", "PUT", out, map[string]string{"Host": "evil.example"}, 403},
		{"rebound host name, panel page", "GET", "/", map[string]string{"Host": "evil.example:80"}, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := r.writes()
			res, body := r.request(c.method, c.path, c.hdr)
			if res.StatusCode != c.status {
				t.Fatalf("%s %s = %d %s, want %d", c.method, c.path, res.StatusCode, body, c.status)
			}
			for k := range res.Header {
				if strings.HasPrefix(strings.ToLower(k), "access-control-allow") {
					t.Fatalf("response grants CORS: %s: %s", k, res.Header.Get(k))
				}
			}
			if r.writes() != before {
				t.Fatal("a refused request reached a toy")
			}
		})
	}
	// The same request from the panel's own origin, with the token, works.
	res, body := r.request("PUT", out, map[string]string{"Origin": r.ts.URL})
	if res.StatusCode != 200 {
		t.Fatalf("same-origin request = %d %s", res.StatusCode, body)
	}
	lastWrite(t, r.sim("Lovense Hush"), "Vibrate:10;")
}

// The panel page carries the token and keeps other sites from framing it
// or loading scripts from elsewhere.
func TestPanelPage(t *testing.T) {
	r := newRig(t, false)
	res, body := r.request("GET", "/", map[string]string{httpapi.TokenHeader: ""})
	if res.StatusCode != 200 || !strings.Contains(body, `<meta name="bphost-token" content="`+r.api.Token()+`">`) {
		t.Fatalf("panel page %d without the token: %.300s", res.StatusCode, body)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("Content-Security-Policy %q", csp)
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Fatal("the panel page loads something from another site")
	}
	for _, f := range []string{"/static/panel.js", "/static/panel.css"} {
		res, body := r.request("GET", f, map[string]string{httpapi.TokenHeader: ""})
		if res.StatusCode != 200 || len(body) < 100 {
			t.Fatalf("%s: %d, %d bytes", f, res.StatusCode, len(body))
		}
		if strings.Contains(body, "https://") {
			t.Fatalf("%s refers to another site", f)
		}
	}
}

func TestResolveAddr(t *testing.T) {
	cases := []struct {
		http string
		port int
		want string
		bad  bool
	}{
		{"", 0, "", false},
		{"127.0.0.1:8080", 0, "127.0.0.1:8080", false},
		{":8080", 0, "127.0.0.1:8080", false},
		{"8080", 0, "127.0.0.1:8080", false},
		{"http://localhost:8080", 0, "localhost:8080", false},
		{"0.0.0.0:8080", 0, "0.0.0.0:8080", false},
		{"[::1]:9", 0, "[::1]:9", false},
		{"", 12347, "127.0.0.1:12347", false},
		{"127.0.0.1:1", 2, "", true},
		{"", 70000, "", true},
		{"localhost", 0, "", true},
		{"host:port", 0, "", true},
	}
	for _, c := range cases {
		got, err := httpapi.ResolveAddr(c.http, c.port)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ResolveAddr(%q, %d) = %q, %v; want %q (error %v)", c.http, c.port, got, err, c.want, c.bad)
		}
	}
}

// Start serves until its context ends; from then on nothing answers.
func TestStartStopsWithContext(t *testing.T) {
	r := newRig(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := httpapi.Start(ctx, "127.0.0.1:0", httpapi.Config{Devices: r.e.Devices, Simulated: r.e.Simulated})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") || !strings.HasSuffix(srv.URL(), "/#token="+srv.Token()) {
		t.Fatalf("URL %q", srv.URL())
	}
	put := func() (int, error) {
		req, _ := http.NewRequestWithContext(ctxT(t), "PUT", "http://"+srv.Addr().String()+"/api/v1/devices/"+r.index("Lovense Hush")+"/outputs/Vibrate/0.5", nil)
		req.Header.Set(httpapi.TokenHeader, srv.Token())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, nil
	}
	if st, err := put(); err != nil || st != 200 {
		t.Fatalf("output while serving: %d %v", st, err)
	}
	lastWrite(t, r.sim("Lovense Hush"), "Vibrate:10;")
	cancel()
	srv.Close() // waits for the shutdown the context started; idempotent
	before := r.writes()
	if st, err := put(); err == nil {
		t.Fatalf("output after the context ended answered %d", st)
	}
	if r.writes() != before {
		t.Fatal("a toy received a write after the server stopped")
	}
	http.DefaultClient.CloseIdleConnections()
}
