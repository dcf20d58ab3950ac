package listen

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// checkOrigins refuses patterns WithAllowedOrigins cannot match as meant.
func checkOrigins(patterns []string) error {
	for _, p := range patterns {
		switch {
		case p == "*":
		case p == "" || p == "*.":
			return fmt.Errorf("allowed origin %q: empty", p)
		case strings.Contains(p, "://"):
			u, err := url.Parse(p)
			if err != nil || u.Host == "" || strings.Contains(p, "*") || (u.Path != "" && u.Path != "/") {
				return fmt.Errorf("allowed origin %q: want scheme://host[:port], exactly, or a host pattern like *.example.com", p)
			}
		case strings.Contains(p[1:], "*") || (strings.HasPrefix(p, "*") && !strings.HasPrefix(p, "*.")):
			return fmt.Errorf("allowed origin %q: a wildcard is allowed only as a leading \"*.\"", p)
		case strings.ContainsAny(p, "/:"):
			return fmt.Errorf("allowed origin %q: want a host name, *.domain, or scheme://host[:port]", p)
		}
	}
	return nil
}

// originAllowed applies WithAllowedOrigins to an Origin header. A request
// without one is no browser page: a page cannot leave it out.
func (l *Listener) originAllowed(origin string) bool {
	if origin == "" || len(l.opt.origins) == 0 {
		return true
	}
	u, err := url.Parse(origin)
	host := ""
	if err == nil {
		host = strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	}
	for _, p := range l.opt.origins {
		switch {
		case p == "*":
			return true
		case strings.Contains(p, "://"):
			if strings.EqualFold(strings.TrimSuffix(p, "/"), origin) {
				return true
			}
		case host == "":
		case strings.HasPrefix(p, "*."):
			if strings.HasSuffix(host, strings.ToLower(p[1:])) {
				return true
			}
		case strings.EqualFold(p, host):
			return true
		}
	}
	return false
}

// hostAllowed guards a loopback listener against DNS rebinding: a page on
// evil.example whose name the attacker points at 127.0.0.1 reaches the
// server with Host: evil.example. Loopback names and addresses, and the
// address the listener was bound to, pass; a listener on another
// interface takes any Host (its names are not known).
func (l *Listener) hostAllowed(hostport string) bool {
	if !l.loopback {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" {
		return false
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.EqualFold(host, l.host) {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Policy says, in a sentence, whom a websocket listener lets in: which
// origins, and which Host headers.
func (l *Listener) Policy() string {
	origins := "any Origin (browser pages on every site may connect; --allow-origin narrows it)"
	if len(l.opt.origins) > 0 {
		origins = "Origin " + strings.Join(l.opt.origins, ", ") + " or none (other pages get 403)"
	}
	hosts := "any Host (not a loopback address)"
	if l.loopback {
		hosts = "Host a loopback name or " + l.host + " only (DNS rebinding gets 403)"
	}
	return origins + "; " + hosts
}
