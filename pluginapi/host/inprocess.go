package host

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/bphost/bphost/pluginapi"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"github.com/bphost/bphost/pluginapi/internal/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// startInProcess serves srv, the plugin side of transport name, on a gRPC
// server of this process and connects to it over in-memory connections
// (memConn): no socket, so nothing else on the machine can reach it.
func startInProcess(srv wire.Server, name string) (*instance, error) {
	lis := newPipeListener()
	gs := grpc.NewServer(wire.GRPCServerOptions()...)
	pb.RegisterConnectorServiceServer(gs, srv)
	served := make(chan struct{})
	go func() {
		defer close(served)
		gs.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///bphost-in-process",
		append(wire.GRPCDialOptions(),
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.dial(ctx) }),
			grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		gs.Stop()
		<-served
		return nil, fmt.Errorf("in-process plugin %s: %w", name, err)
	}
	exited := make(chan struct{})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			conn.Close()
			gs.Stop()
			srv.Stop()
			<-served
			close(exited)
		})
		<-exited
	}
	return &instance{
		client: pb.NewConnectorServiceClient(conn),
		exited: exited,
		status: func() string { return "stopped" },
		stop:   stop,
	}, nil
}

// pipeListener is a net.Listener whose connections are memConn pairs made
// by dial.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the server's end of the next dialled connection.
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and dial fail; connections made stay open.
func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr names the listener.
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial returns the client's end of a new connection once Accept has taken
// the server's.
func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	client, server := memPipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

// memPipe returns the two ends of an in-memory connection. Unlike
// net.Pipe, a write does not wait for the reader: it is buffered, so gRPC's
// writer and reader goroutines do not hand every write over in lockstep
// (net.Pipe made the in-process frame path 30% slower); past memPipeMax
// unread bytes it waits, as on a socket.
func memPipe() (net.Conn, net.Conn) {
	a, b := newMemHalf(), newMemHalf()
	return &memConn{r: a, w: b}, &memConn{r: b, w: a}
}

// memPipeMax is how many unread bytes a memPipe direction holds before a
// write waits.
const memPipeMax = 1 << 20

// memHalf is one direction of a memPipe.
type memHalf struct {
	mu      sync.Mutex
	cond    sync.Cond
	buf     []byte // buf[off:] is unread
	off     int
	rClosed bool // the reading end is closed: writes fail
	wClosed bool // the writing end is closed: reads end after the buffer
}

func newMemHalf() *memHalf {
	h := &memHalf{}
	h.cond.L = &h.mu
	return h
}

// memConn is one end of a memPipe. Deadlines are not supported: only our
// own gRPC client and server use it, and they end it with Close.
type memConn struct {
	r, w *memHalf
}

// Read reads what the other end wrote; io.EOF once it is closed and
// everything is read.
func (c *memConn) Read(b []byte) (int, error) {
	h := c.r
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.buf) == h.off {
		switch {
		case h.rClosed:
			return 0, net.ErrClosed
		case h.wClosed:
			return 0, io.EOF
		}
		h.cond.Wait()
	}
	if h.rClosed {
		return 0, net.ErrClosed
	}
	wasFull := len(h.buf)-h.off >= memPipeMax
	n := copy(b, h.buf[h.off:])
	h.off += n
	if wasFull {
		h.cond.Broadcast() // a writer may wait
	}
	if h.off == len(h.buf) {
		h.buf, h.off = h.buf[:0], 0
	}
	return n, nil
}

// Write buffers b for the other end.
func (c *memConn) Write(b []byte) (int, error) {
	h := c.w
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.buf)-h.off >= memPipeMax && !h.wClosed && !h.rClosed {
		h.cond.Wait() // bound what waits, as a socket buffer does
	}
	switch {
	case h.wClosed:
		return 0, net.ErrClosed
	case h.rClosed:
		return 0, io.ErrClosedPipe
	}
	wasEmpty := len(h.buf) == h.off
	if h.off > 0 && len(h.buf)+len(b) > cap(h.buf) {
		// Move the unread bytes down rather than grow the array.
		h.buf, h.off = h.buf[:copy(h.buf, h.buf[h.off:])], 0
	}
	h.buf = append(h.buf, b...)
	if wasEmpty { // only an empty buffer has a reader waiting
		h.cond.Broadcast()
	}
	return len(b), nil
}

// Close ends both directions; the other end reads what was written, then
// io.EOF. It is idempotent.
func (c *memConn) Close() error {
	c.r.mu.Lock()
	c.r.rClosed = true
	c.r.buf, c.r.off = nil, 0
	c.r.cond.Broadcast()
	c.r.mu.Unlock()
	c.w.mu.Lock()
	c.w.wClosed = true
	c.w.cond.Broadcast()
	c.w.mu.Unlock()
	return nil
}

// LocalAddr names the in-memory connection.
func (c *memConn) LocalAddr() net.Addr { return pipeAddr{} }

// RemoteAddr names the in-memory connection.
func (c *memConn) RemoteAddr() net.Addr { return pipeAddr{} }

// SetDeadline does nothing (see memConn).
func (c *memConn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline does nothing (see memConn).
func (c *memConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline does nothing (see memConn).
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// pipeAddr is the address of in-memory connections.
type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "bphost-in-process" }

// describeFromProto reads a plugin's Describe answer; the frame limit is
// never above pluginapi.MaxFrame, whatever the plugin says.
func describeFromProto(r *pb.DescribeResponse) pluginapi.Description {
	d := pluginapi.Description{
		Name:            r.GetName(),
		Version:         r.GetVersion(),
		Summary:         r.GetSummary(),
		MaxFrame:        int(min(r.GetMaxFrame(), pluginapi.MaxFrame)),
		ContractVersion: int(r.GetContractVersion()),
	}
	for _, o := range r.GetOptions() {
		d.Options = append(d.Options, pluginapi.OptionSpec{
			Name: o.GetName(), Type: pluginapi.OptionType(o.GetType()), Default: o.GetDefault(), Required: o.GetRequired(), Help: o.GetHelp(),
		})
	}
	return d
}
