package plugintest

import (
	"context"
	"sync"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
)

// Echo is a transport named "echo", without options, whose server answers
// every frame with the same frame: the plugin path with no network behind
// it, for benchmarks and examples.
func Echo() pluginapi.Transport { return echoTransport{} }

type echoTransport struct{}

func (echoTransport) Describe() pluginapi.Description {
	return pluginapi.Description{Name: "echo", Version: "1.0.0", Summary: "every frame comes straight back"}
}

func (echoTransport) Open(context.Context, pluginapi.Options) (pluginapi.Session, error) {
	return NewEchoSession(), nil
}

// NewEchoSession returns a session whose server answers every frame with
// the same frame. It holds up to 256 frames before Send blocks.
func NewEchoSession() pluginapi.Session {
	return &echoSession{frames: make(chan []byte, 256), done: make(chan struct{})}
}

type echoSession struct {
	frames chan []byte
	done   chan struct{}
	once   sync.Once
}

func (e *echoSession) Send(ctx context.Context, f []byte) error {
	select {
	case <-e.done:
		return connector.Disconnected(connector.ErrClosed)
	default:
	}
	select {
	case e.frames <- append([]byte(nil), f...):
		return nil
	case <-e.done:
		return connector.Disconnected(connector.ErrClosed)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *echoSession) Recv(ctx context.Context) ([]byte, error) {
	select {
	case f := <-e.frames:
		return f, nil
	case <-e.done:
		return nil, connector.Disconnected(connector.ErrClosed)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TryRecv makes the echo a pluginapi.ReadySession, so that the echoes of
// frames sent many at a time go back to the host in batches.
func (e *echoSession) TryRecv() ([]byte, bool) {
	select {
	case <-e.done:
		return nil, false
	default:
	}
	return connector.Ready(e.frames)
}

func (e *echoSession) Close() error {
	e.once.Do(func() { close(e.done) })
	return nil
}
