package pluginapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/bphost/bphost/core/connector"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
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
// run in process (NewInProcess) for tests.
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
	Options []Option
	// MaxFrame is the largest frame the transport accepts; 0 means MaxFrame.
	MaxFrame int
	// ContractVersion is the contract version the plugin speaks. Plugins
	// leave it 0 (Serve fills in ContractVersion); the host reports what
	// the plugin said.
	ContractVersion int
}

// Option describes one option a transport takes. Values travel as text.
type Option struct {
	// Name is the option's key, e.g. "address".
	Name string
	// Type says how the text is read; 0 means String.
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
	// String is any text.
	String OptionType = iota + 1
	// Int is a base-10 integer.
	Int
	// Bool is true/false (also 1/0, t/f).
	Bool
	// Duration is a Go duration such as "1.5s" or "300ms".
	Duration
)

// String returns the type's name as shown to people ("string", "int"...).
func (t OptionType) String() string {
	switch t {
	case 0, String:
		return "string"
	case Int:
		return "int"
	case Bool:
		return "bool"
	case Duration:
		return "duration"
	}
	return fmt.Sprintf("OptionType(%d)", int(t))
}

// Errors of this package that callers branch on. Connector errors
// (connector.ErrServerAbsent, ErrRefused, ErrDisconnected...) keep their
// meaning across the plugin boundary.
var (
	// ErrInvalidOptions means options were unknown, missing or malformed.
	ErrInvalidOptions = errors.New("invalid options")
	// ErrPluginExited is the cause of a disconnect when the plugin process
	// died, and the error of calls made while it is gone.
	ErrPluginExited = errors.New("plugin process exited")
	// ErrHandshake means the executable did not complete the plugin
	// handshake: it is not a bphost connector plugin, or speaks another
	// contract version.
	ErrHandshake = errors.New("plugin handshake failed")
	// ErrChecksumMismatch means a plugin's sha256 differs from the checksum
	// file's.
	ErrChecksumMismatch = errors.New("plugin checksum mismatch")
	// ErrNotListed means a checksum file is in force and does not list the
	// plugin.
	ErrNotListed = errors.New("plugin not listed in checksum file")
	// ErrInsecure means the plugin or its directory is writable by every
	// user.
	ErrInsecure = errors.New("plugin location is world-writable")
	// ErrNoPlugin means no plugin of that name was found.
	ErrNoPlugin = errors.New("no such plugin")
)

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
		if kindOf(err) == pb.ErrorKind_ERROR_KIND_TRANSPORT {
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
