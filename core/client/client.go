package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
)

// Client is a Buttplug client. Make one with New; it is safe for concurrent
// use and can connect again after a disconnect.
type Client struct {
	name                string
	opts                options
	events              hub
	requestTimeoutCause error
	newTicker           func(time.Duration) ticker

	mu            sync.Mutex
	connecting    bool
	cancelConnect context.CancelFunc
	sess          *session // the established session, if any
}

// ServerInfo describes the server and what was agreed with it.
type ServerInfo struct {
	// Name is the server's name.
	Name string
	// Version is the negotiated spec version.
	Version protocol.Version
	// MinorVersion is the server's minor spec version (spec v4 and later).
	MinorVersion uint32
	// MaxPingTime is how long the server waits for a ping before dropping
	// the client; 0 when it does not expect pings.
	MaxPingTime time.Duration
	// Refused lists the versions asked for first that the server refused,
	// in order, with how it refused them.
	Refused []Refusal
	// Reconnected reports that the connector was closed and opened again
	// before the accepted version was asked for, because the server would
	// not take a second handshake on the same connection.
	Reconnected bool
}

// Refusal is a spec version the server did not accept, and how: a
// *protocol.Error, an ErrTimeout (servers that ignore versions they do not
// know), or a disconnect.
type Refusal struct {
	Version protocol.Version
	Err     error
}

// New returns a client that introduces itself to servers as name.
func New(name string, opts ...Option) *Client {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return &Client{
		name:                name,
		opts:                o,
		requestTimeoutCause: &timeoutError{what: "request", d: o.requestTimeout},
		newTicker:           newTimeTicker,
	}
}

// Name is the client name sent to servers.
func (c *Client) Name() string { return c.name }

// Subscribe returns a subscription to the client's events, buffer events
// deep (DefaultEventBuffer when buffer <= 0). It lasts across sessions until
// Close.
func (c *Client) Subscribe(buffer int) *Subscription { return c.events.subscribe(buffer) }

// Connect opens conn and performs the handshake: it asks for spec v4 and,
// when the server refuses it with an Error, by not answering within the
// handshake timeout, or by closing the connection, asks for spec v3 (on the
// same connection, or after reopening conn when the server will not take a
// second handshake there). WithVersion pins one version instead. It then
// loads the device list, reporting each device with a DeviceAdded event, and
// starts the automatic ping when the server wants one.
//
// An absent server gives an error wrapping ErrServerAbsent; no agreed
// version gives one wrapping ErrHandshake.
func (c *Client) Connect(ctx context.Context, conn connector.Connector) error {
	if conn == nil {
		return errors.New("client: Connect: nil connector")
	}
	c.mu.Lock()
	if c.connecting || c.sess != nil {
		c.mu.Unlock()
		return ErrAlreadyConnected
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.connecting, c.cancelConnect = true, cancel
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.connecting, c.cancelConnect = false, nil
		c.mu.Unlock()
	}()

	if err := conn.Connect(ctx); err != nil {
		return fmt.Errorf("client: connect: %w", err)
	}
	s, err := c.handshake(ctx, conn)
	if err != nil {
		return err
	}
	info := s.serverInfo()
	if err := s.refreshDevices(ctx); err != nil {
		_ = s.close(context.Background(), err)
		return fmt.Errorf("client: loading the device list: %w", err)
	}
	if c.opts.ping && info.MaxPingTime > 0 {
		s.startPing(info.MaxPingTime / 2)
	}
	c.opts.logger.Info("connected", "server", info.Name, "version", info.Version, "maxPingTime", info.MaxPingTime)
	return nil
}

// attempt is one handshake try: a version, and whether to reopen the
// connector first.
type attempt struct {
	version  protocol.Version
	reopen   bool
	fallback bool // a retry of the same version on a new connection
}

// handshake negotiates the version and returns the established session.
func (c *Client) handshake(ctx context.Context, conn connector.Connector) (*session, error) {
	plan := []attempt{{version: protocol.Version4}, {version: protocol.Version3}, {version: protocol.Version3, reopen: true, fallback: true}}
	if c.opts.pinned {
		if c.opts.version != protocol.Version3 && c.opts.version != protocol.Version4 {
			_ = conn.Close()
			return nil, fmt.Errorf("%w: spec %s is not supported; pin Version3 or Version4", ErrHandshake, c.opts.version)
		}
		plan = []attempt{{version: c.opts.version}}
	}
	var refused []Refusal
	var s *session
	reopened := false
	for i, a := range plan {
		if a.fallback && reopened {
			continue // this version was already tried on a fresh connection
		}
		if s != nil && (a.reopen || s.isEnded()) {
			// The server closed the connection or would not take another
			// handshake on it: start over on a new one.
			_ = s.close(ctx, connector.ErrClosed)
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("client: handshake: %w", err)
			}
			if err := conn.Connect(ctx); err != nil {
				return nil, fmt.Errorf("%w: reconnecting for spec %s after %w: %w", ErrHandshake, a.version, refused[len(refused)-1].Err, err)
			}
			s, reopened = nil, true
		}
		if s == nil {
			s = newSession(c, conn)
		}
		info, err := s.handshake(ctx, a.version, refused, reopened)
		if err == nil {
			c.opts.logger.Debug("handshake accepted", "version", info.Version, "refused", len(refused), "reconnected", reopened)
			return s, nil
		}
		if ctx.Err() != nil {
			_ = s.close(context.Background(), connector.ErrClosed)
			return nil, fmt.Errorf("client: handshake: %w", err)
		}
		if errors.Is(err, ErrDisconnected) && i+1 < len(plan) && plan[i+1].version == a.version {
			// The server closed the connection before this version was
			// answered (it refused the one before and hung up): that is no
			// refusal, and the next step asks again on a new connection.
			c.opts.logger.Debug("connection closed during the handshake", "version", a.version, "err", err)
			continue
		}
		c.opts.logger.Debug("handshake refused", "version", a.version, "err", err)
		refused = append(refused, Refusal{Version: a.version, Err: err})
		if i == len(plan)-1 {
			_ = s.close(context.Background(), connector.ErrClosed)
			return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
		}
	}
	// Only reached when the last plan step was skipped.
	_ = s.close(context.Background(), connector.ErrClosed)
	return nil, fmt.Errorf("%w: %w", ErrHandshake, refused[len(refused)-1].Err)
}

// handshake sends RequestServerInfo for version v and waits for the
// ServerInfo within the handshake timeout. The read loop establishes the
// session when the reply fits.
func (s *session) handshake(ctx context.Context, v protocol.Version, refused []Refusal, reconnected bool) (ServerInfo, error) {
	s.version.Store(uint32(v))
	s.mu.Lock()
	s.info = ServerInfo{Refused: refused, Reconnected: reconnected}
	s.mu.Unlock()
	var m protocol.Message
	if v == protocol.Version4 {
		m = &protocol.RequestServerInfo{ClientName: s.c.name, ProtocolVersionMajor: uint32(v), ProtocolVersionMinor: protocol.CurrentMinorVersion}
	} else {
		m = &protocol.RequestServerInfoV1{ClientName: s.c.name, MessageVersion: uint32(v)}
	}
	d := s.c.opts.handshakeTimeout
	hctx, cancel := context.WithTimeoutCause(ctx, d, &timeoutError{what: "spec " + v.String() + " handshake", d: d})
	defer cancel()
	c, err := s.start(hctx, m, v, time.Time{})
	if err != nil {
		return ServerInfo{}, err
	}
	if _, err := s.settle(hctx, c); err != nil {
		return ServerInfo{}, err
	}
	return s.serverInfo(), nil
}

func (s *session) serverInfo() ServerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

// refreshDevices asks for the device list; the read loop applies it.
func (s *session) refreshDevices(ctx context.Context) error {
	reply, err := s.request(ctx, &protocol.RequestDeviceList{})
	if err != nil {
		return err
	}
	switch reply.(type) {
	case *protocol.DeviceList, *protocol.DeviceListV3:
		return nil
	}
	return fmt.Errorf("client: RequestDeviceList: %w: got %s", ErrUnexpectedReply, reply.MessageName())
}

// established is called by the read loop when the server accepted the
// handshake.
func (c *Client) established(s *session, info ServerInfo) {
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
	c.events.publish(Connected{Info: info})
}

// released is called by the read loop once a session has ended.
func (c *Client) released(s *session) {
	c.mu.Lock()
	if c.sess == s {
		c.sess = nil
	}
	c.mu.Unlock()
}

// session returns the established session or ErrNotConnected.
func (c *Client) session() (*session, error) {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil || s.isEnded() {
		return nil, ErrNotConnected
	}
	return s, nil
}

// Connected reports whether the client has a live session.
func (c *Client) Connected() bool {
	_, err := c.session()
	return err == nil
}

// ServerInfo describes the server of the current session; ok is false when
// not connected.
func (c *Client) ServerInfo() (info ServerInfo, ok bool) {
	s, err := c.session()
	if err != nil {
		return ServerInfo{}, false
	}
	return s.serverInfo(), true
}

// Disconnect stops every device (best effort, bounded by ctx and a second),
// closes the connection, and waits for the session to end: by the time it
// returns, the Disconnected event has been published and Connect may be
// called again. It also cancels a Connect in progress. Disconnecting a
// client that is not connected does nothing.
func (c *Client) Disconnect(ctx context.Context) error {
	c.mu.Lock()
	s := c.sess
	if c.cancelConnect != nil {
		c.cancelConnect()
	}
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	if !s.isEnded() {
		stopCtx, cancel := context.WithTimeout(ctx, time.Second)
		if err := s.stopAll(stopCtx); err != nil {
			c.opts.logger.Debug("stopping devices before disconnect", "err", err)
		}
		cancel()
	}
	return s.close(ctx, connector.ErrClosed)
}

func (s *session) stopAll(ctx context.Context) error {
	if s.negotiated() == protocol.Version4 {
		return s.requestOk(ctx, &protocol.StopCmd{})
	}
	return s.requestOk(ctx, &protocol.StopAllDevices{})
}

// StartScanning asks the server to look for devices; they arrive as
// DeviceAdded events, and ScanningFinished when the server stops looking.
func (c *Client) StartScanning(ctx context.Context) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	return s.requestOk(ctx, &protocol.StartScanning{})
}

// StopScanning asks the server to stop looking for devices.
func (c *Client) StopScanning(ctx context.Context) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	return s.requestOk(ctx, &protocol.StopScanning{})
}

// StopAllDevices stops every device (StopCmd under spec v4, StopAllDevices
// under v3).
func (c *Client) StopAllDevices(ctx context.Context) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	return s.stopAll(ctx)
}

// RefreshDevices asks the server for its device list again and reports the
// differences as DeviceAdded and DeviceRemoved events.
func (c *Client) RefreshDevices(ctx context.Context) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	return s.refreshDevices(ctx)
}

// Devices returns the devices of the current session sorted by index (nil
// when not connected).
func (c *Client) Devices() []*Device {
	s, err := c.session()
	if err != nil {
		return nil
	}
	return s.snapshot()
}

// Device returns the device with the given index.
func (c *Client) Device(index uint32) (*Device, bool) {
	s, err := c.session()
	if err != nil {
		return nil, false
	}
	d := s.device(index)
	return d, d != nil
}
