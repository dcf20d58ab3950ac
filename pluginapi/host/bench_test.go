package host_test

import (
	"context"
	"testing"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/pluginapi/plugintest"
)

// benchFrame is the size of a typical Buttplug frame.
const benchFrame = 128

// echoTargets are the paths compared: the in-memory pipe with an echo
// goroutine on its far end, the plugin contract in process (gRPC over an
// in-memory connection), and a plugin process (gRPC over a Unix socket)
// whose session echoes.
func echoTargets(b *testing.B) []struct {
	name string
	open func(b *testing.B) connector.Connector
} {
	return []struct {
		name string
		open func(b *testing.B) connector.Connector
	}{
		{"pipe", func(b *testing.B) connector.Connector {
			client, server := connector.Pipe(0)
			done := make(chan struct{})
			go func() {
				defer close(done)
				ctx := context.Background()
				for {
					f, err := server.Recv(ctx)
					if err != nil || server.Send(ctx, f) != nil {
						return
					}
				}
			}()
			b.Cleanup(func() { client.Close(); <-done })
			return client
		}},
		{"plugin-in-process", func(b *testing.B) connector.Connector {
			p, err := host.NewInProcess(plugintest.Echo(), host.Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { p.Close() })
			return connectBench(b, p.Connector(nil))
		}},
		{"plugin-process", func(b *testing.B) connector.Connector {
			p, err := host.Launch(context.Background(), linetcpBin, host.Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { p.Close() })
			return connectBench(b, p.Connector(map[string]string{"mode": "echo"}))
		}},
	}
}

func connectBench(b *testing.B, c *host.Connector) connector.Connector {
	if err := c.Connect(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// benchEach runs body on a fresh connector of each target, timing only
// body.
func benchEach(b *testing.B, body func(b *testing.B, ctx context.Context, c connector.Connector, f []byte)) {
	for _, tc := range echoTargets(b) {
		b.Run(tc.name, func(b *testing.B) {
			c := tc.open(b)
			f := plugintest.Frame("bench", 0, benchFrame)
			b.SetBytes(benchFrame)
			b.ReportAllocs()
			b.ResetTimer()
			body(b, context.Background(), c, f)
		})
	}
}

// BenchmarkRoundTrip: one frame out and its echo back, one at a time.
func BenchmarkRoundTrip(b *testing.B) {
	benchEach(b, func(b *testing.B, ctx context.Context, c connector.Connector, f []byte) {
		for range b.N {
			if err := c.Send(ctx, f); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Recv(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPipelined: one goroutine sends b.N frames while another receives
// the echoes; ns/op is the cost per frame at full throughput.
func BenchmarkPipelined(b *testing.B) {
	benchEach(b, func(b *testing.B, ctx context.Context, c connector.Connector, f []byte) {
		sent := make(chan error, 1)
		go func() {
			for range b.N {
				if err := c.Send(ctx, f); err != nil {
					sent <- err
					return
				}
			}
			sent <- nil
		}()
		for range b.N {
			if _, err := c.Recv(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-sent; err != nil {
			b.Fatal(err)
		}
	})
}
