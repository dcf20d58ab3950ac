package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bphost/bphost/core/connector"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"github.com/bphost/bphost/pluginapi/internal/wire"
)

// Connector is a connector.Connector whose sessions a plugin opens: Connect
// calls the plugin's Open with the connector's options, then frames move
// over one gRPC stream per session. It may be connected again after Close;
// when the plugin process died in between, Connect starts it again.
//
// Errors keep their meaning across the boundary: Connect's error wraps
// connector.ErrServerAbsent or connector.ErrRefused when the transport said
// so, pluginapi.ErrInvalidOptions for bad options; a session that ends reports
// connector.ErrDisconnected with its cause (connector.ErrPeerClosed when the
// server closed it, ErrPluginExited with the exit status when the plugin
// process died, ErrPluginHung (and ErrPluginExited) when the host killed a
// plugin that stopped answering, a *RemoteError for other transport failures).
type Connector struct {
	p    *Plugin
	opts map[string]string

	mu   sync.Mutex
	sess *hostSession
}

var _ connector.Connector = (*Connector)(nil)

// Timing of the host side.
const (
	// sendQueue is how many frames Send hands to the stream writer ahead.
	sendQueue = 64
	// recvQueue is how many received frames wait for Recv.
	recvQueue = 64
	// closeWait bounds how long Close waits for the plugin to finish the
	// session in order before it cancels the stream.
	closeWait = 2 * time.Second
	// exitWait is how long a broken stream waits for the process to be
	// reaped, to report its exit as the cause.
	exitWait = 500 * time.Millisecond
)

// hostSession is one open session: a writer goroutine sends queued frames,
// a reader goroutine receives them; both stop when the session ends.
type hostSession struct {
	plugin string
	inst   *instance
	id     uint64
	stream pb.ConnectorService_FramesClient
	cancel context.CancelFunc
	max    int

	out     chan []byte   // frames for the writer
	frames  chan []byte   // frames for Recv
	closing chan struct{} // closed by Close: drain, half-close, wait
	done    chan struct{} // closed when the session has ended
	cause   error         // why; set before done is closed
	// batches is set once the plugin said it reads batches of frames.
	batches atomic.Bool

	endOnce   sync.Once
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// Connect opens a session through the plugin.
func (c *Connector) Connect(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.sess; s != nil {
		select {
		case <-s.done:
		default:
			return connector.ErrAlreadyConnected
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	inst, err := c.p.instance(ctx)
	if err != nil {
		return err
	}
	name := c.p.Name()
	resp, err := inst.client.Open(ctx, &pb.OpenRequest{Options: c.opts})
	if err != nil {
		return c.callError(ctx, inst, "open", err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := inst.client.Frames(sctx)
	if err == nil {
		err = stream.Send(&pb.FramesRequest{SessionId: resp.GetSessionId(), Batches: true})
	}
	if err != nil {
		cancel()
		closeCtx, cancelClose := context.WithTimeout(context.Background(), time.Second)
		_, _ = inst.client.Close(closeCtx, &pb.CloseRequest{SessionId: resp.GetSessionId()})
		cancelClose()
		return c.callError(ctx, inst, "attach", err)
	}
	s := &hostSession{
		plugin:  name,
		inst:    inst,
		id:      resp.GetSessionId(),
		stream:  stream,
		cancel:  cancel,
		max:     wire.FrameLimit(c.p.Description().MaxFrame),
		out:     make(chan []byte, sendQueue),
		frames:  make(chan []byte, recvQueue),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.wg.Add(2)
	go s.write()
	go s.read(c.p)
	c.sess = s
	return nil
}

// callError explains a failed call to the plugin.
func (c *Connector) callError(ctx context.Context, inst *instance, what string, err error) error {
	name := c.p.Name()
	if re, ok := fromStatus(name, err); ok {
		return re
	}
	if ctx.Err() != nil {
		return fmt.Errorf("plugin %s: %s: %w", name, what, ctx.Err())
	}
	if exit := exitCause(c.p, inst); exit != nil {
		return fmt.Errorf("plugin %s: %s: %w", name, what, exit)
	}
	return fmt.Errorf("plugin %s: %s: %w", name, what, err)
}

// exitCause reports the plugin's exit when its process has died or dies
// within exitWait, else nil.
func exitCause(p *Plugin, inst *instance) error {
	select {
	case <-inst.exited:
	case <-time.After(exitWait):
		return nil
	}
	if hung := inst.watch.hungError(); hung != nil {
		return hung
	}
	if p.isClosed() {
		return fmt.Errorf("plugin %s was closed by the host: %w", p.name, connector.ErrClosed)
	}
	if p.path == "" {
		return fmt.Errorf("%w: in-process plugin %s stopped", ErrPluginExited, p.name)
	}
	return fmt.Errorf("%w: %s (pid %d): %s", ErrPluginExited, p.path, inst.pid, inst.status())
}

func (c *Connector) current() (*hostSession, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return nil, connector.ErrNotConnected
	}
	return c.sess, nil
}

// Send queues one frame (a copy) for the plugin. It blocks while the queue is
// full, which is how a slow transport slows the sender down.
func (c *Connector) Send(ctx context.Context, frame []byte) error {
	s, err := c.current()
	if err != nil {
		return err
	}
	if err := s.ended(); err != nil {
		return err
	}
	if len(frame) > s.max {
		return fmt.Errorf("plugin %s: %w: %d bytes, limit %d", s.plugin, connector.ErrFrameTooLarge, len(frame), s.max)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f := bytes.Clone(frame)
	if f == nil {
		f = []byte{}
	}
	// With room in the queue the frame goes without asking ctx for its
	// Done channel: a connector.Deadline makes its timer only when asked.
	select {
	case s.out <- f:
		return nil
	default:
	}
	select {
	case s.out <- f:
		return nil
	case <-s.done:
		return connector.Disconnected(s.cause)
	case <-s.closing:
		return connector.Disconnected(connector.ErrClosed)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ended returns the disconnect once the session is over or closing.
func (s *hostSession) ended() error {
	select {
	case <-s.done:
		return connector.Disconnected(s.cause)
	case <-s.closing:
		return connector.Disconnected(connector.ErrClosed)
	default:
		return nil
	}
}

// Recv returns the next frame from the plugin. Frames received before the
// session ended are returned first.
func (c *Connector) Recv(ctx context.Context) ([]byte, error) {
	s, err := c.current()
	if err != nil {
		return nil, err
	}
	return connector.Receive(ctx, s.frames, s.done, &s.cause)
}

// Close ends the session: frames already sent reach the transport before it
// closes. It waits (at most a few seconds) for the plugin to finish, and for
// the session's goroutines. It is idempotent.
func (c *Connector) Close() error {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() { close(s.closing) })
	timer := time.NewTimer(closeWait)
	defer timer.Stop()
	select {
	case <-s.done:
	case <-timer.C:
		// The plugin did not end the stream: cancel it and say so.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = s.inst.client.Close(ctx, &pb.CloseRequest{SessionId: s.id})
		cancel()
	}
	s.end(connector.ErrClosed)
	s.wg.Wait()
	return nil
}

// end records the cause once and stops both goroutines.
func (s *hostSession) end(cause error) {
	s.endOnce.Do(func() {
		s.cause = cause
		close(s.done)
		s.cancel()
	})
}

// write sends the queued frames in order: one per message until the plugin
// said it reads batches, then every frame already queued in one message.
func (s *hostSession) write() {
	defer s.wg.Done()
	var (
		batch [][]byte
		held  []byte // taken from out but left for the next message
		have  bool
	)
	ready := func() ([]byte, bool) {
		select {
		case f := <-s.out:
			return f, true
		default:
			return nil, false
		}
	}
	send := func(f []byte) bool {
		m := &pb.FramesRequest{Frame: f}
		if s.batches.Load() {
			if batch, held, have = wire.Batch(batch, f, ready); len(batch) > 1 {
				m = &pb.FramesRequest{Frames: batch}
			}
		}
		return s.stream.Send(m) == nil // on failure, read reports why
	}
	for {
		if have {
			f := held
			held, have = nil, false
			if !send(f) {
				return
			}
			continue
		}
		select {
		case f := <-s.out:
			if !send(f) {
				return
			}
		case <-s.closing:
			for {
				f, ok := held, have
				if held, have = nil, false; !ok {
					f, ok = ready()
				}
				if !ok {
					_ = s.stream.CloseSend()
					return
				}
				if !send(f) {
					return
				}
			}
		case <-s.done:
			return
		}
	}
}

func (s *hostSession) read(p *Plugin) {
	defer s.wg.Done()
	for {
		m, err := s.stream.Recv()
		if err != nil {
			s.end(s.causeOf(p, err))
			return
		}
		if m.GetBatches() {
			s.batches.Store(true)
			continue
		}
		if frames := m.GetFrames(); len(frames) > 0 {
			for _, f := range frames {
				if !s.deliver(f) {
					return
				}
			}
		} else if !s.deliver(m.GetFrame()) {
			return
		}
	}
}

// deliver hands f to Recv; false when the session is over.
func (s *hostSession) deliver(f []byte) bool {
	select {
	case s.frames <- f:
	case <-s.closing: // nobody wants it any more
	case <-s.done:
		return false
	}
	return true
}

// causeOf turns the error that ended the stream into the disconnect's cause.
func (s *hostSession) causeOf(p *Plugin, err error) error {
	select {
	case <-s.closing:
		return connector.ErrClosed
	default:
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("plugin %s ended the session: %w", s.plugin, connector.ErrPeerClosed)
	}
	if re, ok := fromStatus(s.plugin, err); ok {
		return re
	}
	if exit := exitCause(p, s.inst); exit != nil {
		return exit
	}
	return fmt.Errorf("plugin %s: frame stream broken: %w", s.plugin, err)
}
