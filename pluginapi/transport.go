package pluginapi

import (
	"context"
	"fmt"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi/internal/wire"
	"github.com/hashicorp/go-hclog"
)

// ContractVersion is the version of the connector plugin contract this
// package speaks: go-plugin's app protocol version and the N of the proto
// package bphost.connector.vN.
const ContractVersion = 1

// MaxFrame is the largest frame, in bytes, that crosses between host and
// plugin: connector.MaxFrame, the one limit of every transport. A transport
// may accept less (Description.MaxFrame).
const MaxFrame = connector.MaxFrame

// Transport is what a plugin author implements: it says what it is and opens
// sessions to a server. Serve runs it in a plugin process; the same value can
// run in process (host.NewInProcess) for tests.
//
// A Transport that keeps something between sessions (the embedded plugin
// keeps its server, so that devices stay connected for the next client)
// also implements io.Closer: Close is called once every session has
// ended, when the plugin is being stopped. It may be called again for a
// later in-process instance, so it must leave the transport usable.
type Transport interface {
	// Describe returns the plugin's name, version and options. It is called
	// once, when serving starts.
	Describe() Description
	// Open connects to the server the options point at and returns the open
	// session. ctx bounds the opening only, not the session. When nothing
	// answers there the error wraps connector.ErrServerAbsent; when the server
	// refuses, connector.ErrRefused.
	Open(ctx context.Context, opts Options) (Session, error)
}

// Session is one open session of a Transport. Every connector.Connector
// satisfies it, so an existing connector serves as a session unchanged.
type Session interface {
	// Send writes one whole frame to the server. It is called from one
	// goroutine at a time.
	Send(ctx context.Context, frame []byte) error
	// Recv returns the next frame from the server. Once the session has
	// ended it returns an error wrapping connector.ErrDisconnected and the
	// cause (connector.ErrPeerClosed when the server closed it); frames
	// received before that are returned first.
	Recv(ctx context.Context) ([]byte, error)
	// Close ends the session; a Recv in progress returns. It is idempotent.
	Close() error
}

// ReadySession is a Session that can hand over a frame it has already
// received without blocking. Implementing it is optional: the plugin then
// sends every frame waiting at once to the host in one message (when the
// host reads batches), which saves a gRPC message per frame when the
// server answers faster than one at a time. A connector.Connector from
// core/connector/stream (what FromConnector usually wraps) implements it.
type ReadySession interface {
	Session
	// TryRecv returns a frame already received, false when none is waiting
	// or the session has ended (Recv then says why). It never blocks.
	TryRecv() ([]byte, bool)
}

// Description says what a plugin is and which options it takes.
type Description struct {
	// Name is the transport's short name ([a-z0-9-], e.g. "websocket"); the
	// executable is named bphost-connector-<Name>.
	Name string
	// Version is the plugin's own version (semver advised).
	Version string
	// Summary is one line saying what the transport does.
	Summary string
	// Options are the options Open takes, in the order to show them.
	Options []OptionSpec
	// MaxFrame is the largest frame the transport accepts; 0 means MaxFrame.
	MaxFrame int
	// ContractVersion is the contract version the plugin speaks. Plugins
	// leave it 0 (Serve fills in ContractVersion); the host reports what
	// the plugin said.
	ContractVersion int
}

// OptionSpec describes one option a transport takes. Values travel as text.
type OptionSpec struct {
	// Name is the option's key, e.g. "address".
	Name string
	// Type says how the text is read; 0 means OptionString.
	Type OptionType
	// Default is used when the option is not given ("" for none).
	Default string
	// Required options have no default and must be given.
	Required bool
	// Help is one line for people.
	Help string
}

// OptionType is how an option's text value is read.
type OptionType int

// Option types.
const (
	// OptionString is any text.
	OptionString OptionType = iota + 1
	// OptionInt is a base-10 integer.
	OptionInt
	// OptionBool is true/false (also 1/0, t/f).
	OptionBool
	// OptionDuration is a Go duration such as "1.5s" or "300ms".
	OptionDuration
)

// String returns the type's name as shown to people ("string", "int"...).
func (t OptionType) String() string {
	switch t {
	case 0, OptionString:
		return "string"
	case OptionInt:
		return "int"
	case OptionBool:
		return "bool"
	case OptionDuration:
		return "duration"
	}
	return fmt.Sprintf("OptionType(%d)", int(t))
}

// FromConnector turns a connector constructor into a Transport: Open calls
// newConn with the options, then Connect. It is how a transport that already
// exists as a connector.Connector becomes a plugin:
//
//	pluginapi.Serve(pluginapi.FromConnector(desc, func(o pluginapi.Options) (connector.Connector, error) {
//		return tcpconn.New(tcpconn.Options{Address: o.String("address")})
//	}))
//
// An error from newConn that wraps no connector error is reported as
// ErrInvalidOptions.
func FromConnector(d Description, newConn func(Options) (connector.Connector, error)) Transport {
	return &connectorTransport{desc: d, newConn: newConn}
}

type connectorTransport struct {
	desc    Description
	newConn func(Options) (connector.Connector, error)
}

func (c *connectorTransport) Describe() Description { return c.desc }

func (c *connectorTransport) Open(ctx context.Context, opts Options) (Session, error) {
	conn, err := c.newConn(opts)
	if err != nil {
		if !wire.KnownKind(err) {
			return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
		}
		return nil, err
	}
	if err := conn.Connect(ctx); err != nil {
		return nil, err
	}
	return conn, nil
}

// Logger returns the logger of the plugin: in a plugin process its output is
// forwarded to the host's logger under the plugin's name. It is never nil.
func (o Options) Logger() hclog.Logger {
	if o.log == nil {
		return hclog.NewNullLogger()
	}
	return o.log
}
