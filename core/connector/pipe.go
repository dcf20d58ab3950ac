package connector

import (
	"context"
	"sync"
)

// PipeEnd is one end of an in-memory frame pipe. Both ends implement
// Connector and FrameConn; the client uses one and a server session the
// other. Frames are
// copied on Send and delivered in order; frames sent before one end closes
// are still delivered to the other end before it sees the disconnect.
type PipeEnd struct {
	in, out chan []byte
	shared  *pipeState
}

type pipeState struct {
	once   sync.Once
	done   chan struct{}
	closer *PipeEnd // the end that closed first
	cause  error    // what the other end is told
}

// DefaultPipeBuffer is the number of frames a pipe holds per direction before
// Send blocks.
const DefaultPipeBuffer = 256

// Pipe returns two connected ends with the given buffer of frames per
// direction (DefaultPipeBuffer when buffer <= 0).
func Pipe(buffer int) (a, b *PipeEnd) {
	if buffer <= 0 {
		buffer = DefaultPipeBuffer
	}
	ab, ba := make(chan []byte, buffer), make(chan []byte, buffer)
	st := &pipeState{done: make(chan struct{})}
	return &PipeEnd{in: ba, out: ab, shared: st}, &PipeEnd{in: ab, out: ba, shared: st}
}

// Connect does nothing: a pipe is open from the start. A closed pipe cannot be
// reopened; make a new one.
func (p *PipeEnd) Connect(ctx context.Context) error {
	select {
	case <-p.shared.done:
		return p.endErr()
	default:
		return ctx.Err()
	}
}

// endErr is the disconnect this end reports once the pipe is closed.
func (p *PipeEnd) endErr() error {
	if p.shared.closer == p {
		return Disconnected(ErrClosed)
	}
	return Disconnected(p.shared.cause)
}

// Send delivers a copy of frame to the other end. A frame is never sent once
// ctx is done or the pipe is closed; one longer than MaxFrame is refused
// with an error wrapping ErrFrameTooLarge, as every transport does, and the
// pipe goes on.
func (p *PipeEnd) Send(ctx context.Context, frame []byte) error {
	if err := CheckFrameSize(frame); err != nil {
		return err
	}
	select {
	case <-p.shared.done:
		return p.endErr()
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	buf := make([]byte, len(frame))
	copy(buf, frame)
	// With room in the pipe, the frame goes without asking ctx for its
	// Done channel: a deadline context makes its timer only when asked.
	select {
	case p.out <- buf:
		return nil
	default:
	}
	select {
	case p.out <- buf:
		return nil
	case <-p.shared.done:
		return p.endErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Recv returns the next frame from the other end. Once the other end has
// closed the pipe, Recv drains what was sent before, then returns the
// disconnect; once this end has closed it, Recv fails at once.
func (p *PipeEnd) Recv(ctx context.Context) ([]byte, error) {
	// Check first: a select with both a buffered frame and done ready picks
	// at random, which would let the closing end keep reading after Close.
	select {
	case <-p.shared.done:
		return p.drain()
	default:
	}
	select {
	case f := <-p.in:
		return f, nil
	case <-p.shared.done:
		return p.drain()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TryRecv returns a frame the other end sent, without blocking; false when
// none is waiting or this end is closed (Recv then says why).
func (p *PipeEnd) TryRecv() ([]byte, bool) {
	select {
	case <-p.shared.done:
		if p.shared.closer == p {
			return nil, false
		}
	default:
	}
	return Ready(p.in)
}

// drain returns a frame still buffered for a closed pipe, or the disconnect.
func (p *PipeEnd) drain() ([]byte, error) {
	if p.shared.closer != p {
		select {
		case f := <-p.in:
			return f, nil
		default:
		}
	}
	return nil, p.endErr()
}

// ReadFrame is Recv without a deadline, so that a PipeEnd is also a
// FrameConn: an in-process server serves its end of the pipe.
func (p *PipeEnd) ReadFrame() ([]byte, error) { return p.Recv(context.Background()) }

// WriteFrame is Send, for FrameConn.
func (p *PipeEnd) WriteFrame(ctx context.Context, frame []byte) error { return p.Send(ctx, frame) }

// Close ends the pipe. The other end receives what was already sent, then a
// disconnect caused by ErrPeerClosed; this end's calls fail with ErrClosed.
func (p *PipeEnd) Close() error {
	p.CloseWithCause(nil)
	return nil
}

// CloseWithCause closes the pipe; the other end's disconnect carries cause
// (ErrPeerClosed when nil). Tests use it to simulate transport failures.
func (p *PipeEnd) CloseWithCause(cause error) {
	p.shared.once.Do(func() {
		if cause == nil {
			cause = ErrPeerClosed
		}
		p.shared.closer = p
		p.shared.cause = cause
		close(p.shared.done)
	})
}
