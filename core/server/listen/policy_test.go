package listen

import "testing"

func TestOriginPatterns(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		origin   string
		want     bool
	}{
		{nil, "https://evil.example", true}, // the default: any origin
		{[]string{"https://app.example.com"}, "", true},
		{[]string{"https://app.example.com"}, "https://app.example.com", true},
		{[]string{"https://app.example.com"}, "HTTPS://App.Example.com", true},
		{[]string{"https://app.example.com"}, "http://app.example.com", false},
		{[]string{"https://app.example.com"}, "https://app.example.com:8443", false},
		{[]string{"https://app.example.com/"}, "https://app.example.com", true},
		{[]string{"app.example.com"}, "http://app.example.com:8080", true},
		{[]string{"app.example.com"}, "https://other.example.com", false},
		{[]string{"*.example.com"}, "https://a.b.example.com", true},
		{[]string{"*.example.com"}, "https://example.com", false},
		{[]string{"*.example.com"}, "https://badexample.com", false},
		{[]string{"*.example.com"}, "https://example.com.evil.net", false},
		{[]string{"*.example.com"}, "null", false},
		{[]string{"*.example.com", "null"}, "null", false}, // null is no origin to name
		{[]string{"*"}, "null", true},
		{[]string{"localhost"}, "http://localhost:3000", true},
	} {
		l := &Listener{opt: options{origins: tc.patterns}}
		if got := l.originAllowed(tc.origin); got != tc.want {
			t.Errorf("patterns %q, Origin %q: allowed %v, want %v", tc.patterns, tc.origin, got, tc.want)
		}
	}
}

func TestOriginPatternsChecked(t *testing.T) {
	for _, p := range []string{"https://app.example.com", "app.example.com", "*.example.com", "*", "null"} {
		if err := checkOrigins([]string{p}); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
	for _, p := range []string{"", "*.", "https://*.example.com", "a*.example.com", "*example.com", "example.com/path", "https://", "https://a.example/x", "host:80"} {
		if err := checkOrigins([]string{p}); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

func TestHostOnLoopback(t *testing.T) {
	lo := &Listener{loopback: true, host: "127.0.0.1"}
	for host, want := range map[string]bool{
		"127.0.0.1:12345":        true,
		"localhost:12345":        true,
		"LOCALHOST.":             true,
		"app.localhost:12345":    true,
		"[::1]:12345":            true,
		"127.0.0.2":              true,
		"evil.example:12345":     false,
		"localhost.evil.example": false,
		"192.168.1.10:12345":     false,
		"":                       false,
	} {
		if got := lo.hostAllowed(host); got != want {
			t.Errorf("Host %q on loopback: allowed %v, want %v", host, got, want)
		}
	}
	named := &Listener{loopback: true, host: "myhost.lan"}
	if !named.hostAllowed("myhost.lan:12345") {
		t.Error("the listen address itself refused")
	}
	any := &Listener{host: "0.0.0.0"}
	if !any.hostAllowed("evil.example") {
		t.Error("a listener on every interface cannot know its names; it refused a Host")
	}
}
