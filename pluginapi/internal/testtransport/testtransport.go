// Package testtransport is the transport pluginapi's own tests run, in
// process and as the plugin binary in ./linetcp: frames over TCP, one per
// line (core/connector/stream), or, with mode=echo, a session that sends
// every frame straight back (for benchmarks of the plugin path itself).
package testtransport

import (
	"context"
	"fmt"

	"github.com/bphost/bphost/core/connector/stream"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/plugintest"
)

// Name is the transport's name.
const Name = "linetcp"

// New returns the transport.
func New() pluginapi.Transport { return transport{} }

type transport struct{}

func (transport) Describe() pluginapi.Description {
	return pluginapi.Description{
		Name:    Name,
		Version: "0.0.1-test",
		Summary: "line-framed TCP, for pluginapi's tests",
		Options: []pluginapi.OptionSpec{
			{Name: "address", Help: "host:port of the server (mode tcp)"},
			{Name: "mode", Default: "tcp", Help: "tcp, or echo: frames come straight back"},
			{Name: "noise", Type: pluginapi.OptionBool, Default: "false", Help: "print to stdout while opening"},
		},
	}
}

func (transport) Open(ctx context.Context, o pluginapi.Options) (pluginapi.Session, error) {
	o.Logger().Info("opening session", "mode", o.String("mode"), "address", o.String("address"))
	if o.Bool("noise") {
		fmt.Println("noise on stdout while opening") // must not disturb anything
	}
	switch o.String("mode") {
	case "echo":
		return plugintest.NewEchoSession(), nil
	case "tcp":
		if o.String("address") == "" {
			return nil, fmt.Errorf("%w: mode tcp needs option address", pluginapi.ErrInvalidOptions)
		}
		addr := o.String("address")
		c := stream.New(stream.DialNet("tcp", addr, "tcp://"+addr))
		if err := c.Connect(ctx); err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, fmt.Errorf("%w: unknown mode %q", pluginapi.ErrInvalidOptions, o.String("mode"))
}
