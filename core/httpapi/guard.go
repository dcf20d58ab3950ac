package httpapi

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/bphost/bphost/core/protocol"
)

// allowedHost reports whether a request addressed to host (the Host
// header) may be answered: an IP literal, localhost, or a name the server
// was configured with. Any other name is what a DNS-rebinding page would
// send, having pointed its own domain at this machine.
func (a *API) allowedHost(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if h == "" {
		return false
	}
	if net.ParseIP(h) != nil || strings.EqualFold(h, "localhost") {
		return true
	}
	for _, n := range a.cfg.Hosts {
		if strings.EqualFold(h, n) {
			return true
		}
	}
	return false
}

// sameOrigin reports whether the Origin header, when a browser sent one,
// names the host the request is addressed to.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// guard lets an /api request through only with the token, from the
// panel's own origin, addressed to an allowed host. It answers no CORS
// preflight and sets no Access-Control-Allow-* header, so a browser never
// lets another origin send the token header.
func (a *API) guard(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !a.allowedHost(r.Host):
			writeError(w, http.StatusForbidden, protocol.ErrorInit, "requests for host %q are refused", r.Host)
		case r.Method == http.MethodOptions:
			writeError(w, http.StatusForbidden, protocol.ErrorInit, "cross-origin requests are refused")
		case !sameOrigin(r):
			writeError(w, http.StatusForbidden, protocol.ErrorInit, "requests from origin %q are refused", r.Header.Get("Origin"))
		case subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), []byte(a.token)) != 1:
			writeError(w, http.StatusUnauthorized, protocol.ErrorInit, "missing or wrong %s header: use the URL bphost serve printed", TokenHeader)
		default:
			h(w, r)
		}
	})
}
