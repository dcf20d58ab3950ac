package plugintest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
)

// Peer is the server the transport under test talks to; the kit drives it
// to receive, send and close from the far side.
type Peer interface {
	// Options are the transport options that reach this peer.
	Options() map[string]string
	// Accept returns the server end of the next session opened to the
	// peer. Frames sent on it arrive at the host's Recv; Close on it ends
	// the session from the server's side.
	Accept(ctx context.Context) (connector.Connector, error)
	// Close stops the peer: its sessions end and nothing answers at its
	// address any more.
	Close() error
}

// NetPeer is a Peer listening on a net.Listener: every connection it
// accepts is framed by frame and becomes a session.
type NetPeer struct {
	ln    net.Listener
	opts  map[string]string
	frame func(net.Conn) connector.FrameConn

	accepted chan connector.Connector
	stop     chan struct{}
	loop     sync.WaitGroup

	mu       sync.Mutex
	sessions []connector.Connector
	closed   bool
}

// NewNetPeer serves ln. frame turns an accepted connection into a framed
// one (stream.NewNetConn for one frame per line); opts are the transport
// options that reach ln. Close closes ln.
func NewNetPeer(ln net.Listener, frame func(net.Conn) connector.FrameConn, opts map[string]string) *NetPeer {
	p := &NetPeer{
		ln: ln, opts: opts, frame: frame,
		accepted: make(chan connector.Connector, 16),
		stop:     make(chan struct{}),
	}
	p.loop.Add(1)
	go p.acceptLoop()
	return p
}

// LinePeer is a NetPeer on a loopback TCP port that frames one frame per
// line (core/framing), with option address=host:port; it is closed when the
// test ends. It is the peer of transports that speak the tcp framing.
func LinePeer(t testing.TB) *NetPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := NewNetPeer(ln, func(c net.Conn) connector.FrameConn { return stream.NewNetConn(c) },
		map[string]string{"address": ln.Addr().String()})
	t.Cleanup(func() { p.Close() })
	return p
}

func (p *NetPeer) acceptLoop() {
	defer p.loop.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		fc := p.frame(c)
		conn := stream.New(func(context.Context) (connector.FrameConn, error) { return fc, nil })
		_ = conn.Connect(context.Background())
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			conn.Close()
			return
		}
		p.sessions = append(p.sessions, conn)
		p.mu.Unlock()
		select {
		case p.accepted <- conn:
		case <-p.stop:
			return
		}
	}
}

// Options are the options that reach the peer.
func (p *NetPeer) Options() map[string]string { return p.opts }

// Accept returns the next session.
func (p *NetPeer) Accept(ctx context.Context) (connector.Connector, error) {
	select {
	case c := <-p.accepted:
		return c, nil
	case <-p.stop:
		return nil, errors.New("peer closed")
	case <-ctx.Done():
		return nil, fmt.Errorf("no session reached the peer: %w", ctx.Err())
	}
}

// Close stops listening and ends every session.
func (p *NetPeer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	sessions := p.sessions
	p.mu.Unlock()
	close(p.stop)
	err := p.ln.Close()
	p.loop.Wait()
	for _, s := range sessions {
		s.Close()
	}
	return err
}
