package pluginapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/bphost/bphost/core/connector"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"github.com/bphost/bphost/pluginapi/internal/wire"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// server is the plugin side of the contract: it serves a Transport's
// sessions over gRPC.
type server struct {
	pb.UnimplementedConnectorServiceServer

	tr   Transport
	desc Description
	log  hclog.Logger

	mu        sync.Mutex
	next      uint64
	sessions  map[uint64]*pluginSession
	stopped   bool
	pumps     sync.WaitGroup // goroutines carrying host frames to sessions
	open      sync.WaitGroup // sessions whose transport Close has not returned
	closeOnce sync.Once      // of a Transport that is an io.Closer
}

// attachTimeout is how long an opened session waits for its frame stream.
var attachTimeout = 30 * time.Second

// pluginSession is one open Transport session.
type pluginSession struct {
	id   uint64
	sess Session

	mu       sync.Mutex
	attached bool
	byHost   bool  // the host asked for the end
	failure  error // why the session was ended here, if it was
	closed   bool

	closeOnce sync.Once
	onClosed  func() // after the transport's Close returned
}

func newServer(tr Transport, desc Description, log hclog.Logger) *server {
	return &server{tr: tr, desc: desc, log: log, sessions: map[uint64]*pluginSession{}}
}

// The host serves a transport in process through this server, without this
// package exporting it.
func init() {
	wire.InProcess = func(t any) (string, func(hclog.Logger) wire.Server, error) {
		tr, ok := t.(Transport)
		if !ok {
			return "", nil, fmt.Errorf("in-process plugin: %T is not a pluginapi.Transport", t)
		}
		desc := tr.Describe()
		if err := desc.Validate(); err != nil {
			return "", nil, err
		}
		return desc.Name, func(log hclog.Logger) wire.Server { return newServer(tr, desc, log) }, nil
	}
}

// end closes the transport session once and returns when it is closed,
// whoever closes it. byHost says the host asked for it; failure, when not
// nil, is why this side gave up on it (the first end's reasons are kept).
func (p *pluginSession) end(byHost bool, failure error) {
	p.mu.Lock()
	if !p.closed {
		p.closed, p.byHost, p.failure = true, byHost, failure
	}
	p.mu.Unlock()
	p.closeOnce.Do(func() {
		p.sess.Close()
		if p.onClosed != nil {
			p.onClosed()
		}
	})
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return describeToProto(s.desc), nil
}

func (s *server) Open(ctx context.Context, req *pb.OpenRequest) (*pb.OpenResponse, error) {
	opts, err := s.desc.Resolve(req.GetOptions())
	if err != nil {
		return nil, wire.ToStatus(err, codes.InvalidArgument)
	}
	opts.log = s.log
	sess, err := s.tr.Open(ctx, opts)
	if err != nil {
		s.log.Debug("open failed", "error", err)
		return nil, wire.ToStatus(err, codes.Unknown)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		sess.Close()
		return nil, status.Error(codes.Unavailable, "plugin is shutting down")
	}
	s.next++
	p := &pluginSession{id: s.next, sess: sess, onClosed: s.open.Done}
	s.open.Add(1)
	s.sessions[p.id] = p
	s.log.Debug("session opened", "session", p.id)
	// A host that never attaches (it gave up on the Open) leaves no session.
	time.AfterFunc(attachTimeout, func() {
		p.mu.Lock()
		attached := p.attached
		p.mu.Unlock()
		if !attached && s.remove(p.id) != nil {
			s.log.Warn("session never attached; closed", "session", p.id)
			p.end(true, nil)
		}
	})
	return &pb.OpenResponse{SessionId: p.id}, nil
}

func (s *server) Close(_ context.Context, req *pb.CloseRequest) (*pb.CloseResponse, error) {
	if p := s.remove(req.GetSessionId()); p != nil {
		p.end(true, nil)
	}
	return &pb.CloseResponse{}, nil
}

func (s *server) lookup(id uint64) *pluginSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

func (s *server) remove(id uint64) *pluginSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.sessions[id]
	delete(s.sessions, id)
	return p
}

func (s *server) Frames(stream pb.ConnectorService_FramesServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	p := s.lookup(first.GetSessionId())
	if p == nil {
		return status.Errorf(codes.NotFound, "no session %d", first.GetSessionId())
	}
	p.mu.Lock()
	already := p.attached
	p.attached = true
	p.mu.Unlock()
	if already {
		return status.Errorf(codes.FailedPrecondition, "session %d already has a stream", p.id)
	}
	defer func() {
		s.remove(p.id)
		p.end(true, nil) // no-op when it already ended
	}()

	ctx := stream.Context()
	// A host that reads batches hears first that this plugin does too.
	batches := first.GetBatches()
	if batches {
		if err := stream.Send(&pb.FramesResponse{Batches: true}); err != nil {
			return err
		}
	}
	s.pumps.Add(1)
	go s.hostToTransport(ctx, stream, p)

	ready, _ := p.sess.(ReadySession)
	var (
		batch [][]byte
		held  []byte // taken from the session but left for the next message
		have  bool
	)
	for {
		frame, had := held, have
		if held, have = nil, false; !had {
			if frame, err = p.sess.Recv(ctx); err != nil {
				return s.streamEnd(ctx, p, err)
			}
		}
		m := &pb.FramesResponse{Frame: frame}
		if batches && ready != nil {
			if batch, held, have = wire.Batch(batch, frame, ready.TryRecv); len(batch) > 1 {
				m = &pb.FramesResponse{Frames: batch}
			}
		}
		if err := stream.Send(m); err != nil {
			p.end(true, nil)
			return err
		}
	}
}

// hostToTransport delivers the host's frames to the session in order until
// the host half-closes the stream (the session is then closed, after the
// last frame) or the stream ends. It never outlives the stream by more than
// one Send to the transport.
func (s *server) hostToTransport(ctx context.Context, stream pb.ConnectorService_FramesServer, p *pluginSession) {
	defer s.pumps.Done()
	for {
		m, err := stream.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.log.Debug("frame stream ended", "session", p.id, "error", err)
			}
			p.end(true, nil)
			return
		}
		if frames := m.GetFrames(); len(frames) > 0 {
			for _, f := range frames {
				if !s.toTransport(ctx, p, f) {
					return
				}
			}
		} else if !s.toTransport(ctx, p, m.GetFrame()) {
			return
		}
	}
}

// toTransport sends one frame from the host to the session; false when the
// session has ended.
func (s *server) toTransport(ctx context.Context, p *pluginSession, f []byte) bool {
	if len(f) > s.desc.maxFrame() {
		p.end(false, fmt.Errorf("%w: %d bytes, limit %d", connector.ErrFrameTooLarge, len(f), s.desc.maxFrame()))
		return false
	}
	if err := p.sess.Send(ctx, f); err != nil {
		p.end(false, err)
		return false
	}
	return true
}

// streamEnd is the status a Frames stream ends with once the session's Recv
// failed with err.
func (s *server) streamEnd(ctx context.Context, p *pluginSession, err error) error {
	if ctx.Err() != nil { // the host went away or cancelled
		p.end(true, nil)
		return status.FromContextError(ctx.Err()).Err()
	}
	p.mu.Lock()
	byHost, failure := p.byHost, p.failure
	p.mu.Unlock()
	switch {
	case failure != nil:
		err = failure
	case byHost:
		return nil
	}
	p.end(false, err)
	s.log.Debug("session ended", "session", p.id, "cause", err)
	return wire.ToStatus(err, codes.Aborted)
}

// Stop closes every session, waits until each one's transport Close has
// returned (also those another goroutine was closing: a plugin exits after
// Stop, and must not cut a transport's stop short), waits for the frame
// pumps, then closes a Transport that is an io.Closer (once). No session
// opens after it.
func (s *server) Stop() {
	s.mu.Lock()
	s.stopped = true
	sessions := s.sessions
	s.sessions = map[uint64]*pluginSession{}
	s.mu.Unlock()
	for _, p := range sessions {
		p.end(true, nil)
	}
	s.open.Wait()
	s.pumps.Wait()
	if c, ok := s.tr.(io.Closer); ok {
		s.closeOnce.Do(func() {
			if err := c.Close(); err != nil {
				s.log.Warn("closing the transport", "err", err)
			}
		})
	}
}

func describeToProto(d Description) *pb.DescribeResponse {
	r := &pb.DescribeResponse{
		Name:            d.Name,
		Version:         d.Version,
		Summary:         d.Summary,
		ContractVersion: ContractVersion,
		MaxFrame:        uint64(d.maxFrame()),
	}
	for _, o := range d.Options {
		t := o.Type
		if t == 0 {
			t = OptionString
		}
		r.Options = append(r.Options, &pb.OptionSpec{
			Name: o.Name, Type: pb.OptionType(t), Default: o.Default, Required: o.Required, Help: o.Help,
		})
	}
	return r
}
