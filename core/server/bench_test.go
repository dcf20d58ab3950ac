package server_test

import (
	"context"
	"testing"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/protocol"
)

// The whole in-process path per command: Go client, in-process connector,
// session, device manager, simulated toy, and the Ok back.
func BenchmarkInProcessVibrate(b *testing.B) {
	for _, v := range []protocol.Version{protocol.Version4, protocol.Version3} {
		b.Run(v.String(), func(b *testing.B) {
			r := newRig(b, rigOpts{})
			r.connected("Lovense Hush")
			ctx := context.Background()
			c := client.New("bench", client.WithVersion(v))
			if err := c.Connect(ctx, r.srv.Connector()); err != nil {
				b.Fatal(err)
			}
			defer c.Disconnect(ctx)
			d := c.Devices()[0]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// Alternate, so that no command is skipped as a repeat.
				if err := d.Vibrate(ctx, client.Steps(int32(1+i%2))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
