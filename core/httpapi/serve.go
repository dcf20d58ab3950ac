package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ResolveAddr turns `bphost serve`'s flags into the address to listen on:
// --http ADDR (a bare port or one without a host binds loopback, as the
// Buttplug listeners do) or the Engine's --rest-api-port N, which is
// 127.0.0.1:N. Neither given returns "" (no HTTP server).
func ResolveAddr(httpAddr string, restPort int) (string, error) {
	switch {
	case httpAddr != "" && restPort != 0:
		return "", errors.New("give --http or --rest-api-port, not both")
	case restPort < 0 || restPort > 65535:
		return "", fmt.Errorf("--rest-api-port %d: not a port", restPort)
	case restPort != 0:
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(restPort)), nil
	case httpAddr == "":
		return "", nil
	}
	s := strings.TrimPrefix(httpAddr, "http://")
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		s = ":" + s
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("--http %q: want host:port or a port: %w", httpAddr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("--http %q: port %q is not a number", httpAddr, port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Server is an API on a listening HTTP server.
type Server struct {
	*API
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
	stop func() bool
}

// Start listens on addr (host:port; port 0 picks one) and serves an API
// over cfg until Close or until ctx ends, whichever comes first: from that
// moment no request reaches a device.
func Start(ctx context.Context, addr string, cfg Config) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("httpapi: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil && host != "" {
		cfg.Hosts = append(cfg.Hosts, host)
	}
	a, err := New(cfg)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("httpapi: listen on %s: %w", addr, err)
	}
	s := &Server{
		API:  a,
		ln:   ln,
		done: make(chan struct{}),
		srv: &http.Server{
			Handler:           a,
			ReadHeaderTimeout: 10 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return a.ctx },
		},
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	s.stop = context.AfterFunc(ctx, func() { s.Close() })
	return s, nil
}

// URL is the panel's address with the token in its fragment, which the
// browser keeps to itself (it is never sent in a request).
func (s *Server) URL() string {
	return fmt.Sprintf("http://%s/#token=%s", s.ln.Addr(), s.Token())
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the API from driving devices, then closes the HTTP server
// and its connections (event streams included) and waits for it.
func (s *Server) Close() error {
	s.stop()
	err := s.API.Close()
	if cerr := s.srv.Close(); cerr != nil && !errors.Is(cerr, http.ErrServerClosed) {
		err = errors.Join(err, cerr)
	}
	<-s.done
	return err
}
