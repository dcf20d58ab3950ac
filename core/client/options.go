package client

import (
	"log/slog"
	"time"

	"github.com/bphost/bphost/core/protocol"
)

// Defaults of the options.
const (
	// DefaultHandshakeTimeout bounds each handshake attempt. Servers that do
	// not speak the requested version may not answer at all, so this is what
	// triggers the fallback to an older version for them.
	DefaultHandshakeTimeout = 3 * time.Second
	// DefaultRequestTimeout bounds every request whose context has no
	// earlier deadline. Some servers drop invalid messages without a reply.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultEventBuffer is the buffer of a subscription made with a
	// buffer <= 0.
	DefaultEventBuffer = 64
)

// Option configures a Client.
type Option func(*options)

type options struct {
	handshakeTimeout time.Duration
	requestTimeout   time.Duration
	version          protocol.Version
	pinned           bool
	ping             bool
	logger           *slog.Logger
}

func defaultOptions() options {
	return options{
		handshakeTimeout: DefaultHandshakeTimeout,
		requestTimeout:   DefaultRequestTimeout,
		ping:             true,
		logger:           slog.New(slog.DiscardHandler),
	}
}

// WithHandshakeTimeout bounds each handshake attempt (default
// DefaultHandshakeTimeout). An attempt that times out counts as a refusal
// of that version.
func WithHandshakeTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.handshakeTimeout = d
		}
	}
}

// WithRequestTimeout sets the deadline of requests whose context has none
// earlier (default DefaultRequestTimeout); 0 leaves requests bounded only by
// their context. A request fails at most a tenth of d (and at most a
// second) after its timeout passed: the session checks its requests on a
// tick rather than arming a timer for each.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) {
		if d >= 0 {
			o.requestTimeout = d
		}
	}
}

// WithVersion pins the spec version (protocol.Version3 or protocol.Version4):
// the client asks only for it and does not fall back.
func WithVersion(v protocol.Version) Option {
	return func(o *options) { o.version, o.pinned = v, true }
}

// WithPing turns the automatic ping on or off (default on). With it on, the
// client pings every MaxPingTime/2 when the server sets a MaxPingTime; it
// never pings a server whose MaxPingTime is 0.
func WithPing(enabled bool) Option {
	return func(o *options) { o.ping = enabled }
}

// WithLogger sets where the client logs (default: nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}
