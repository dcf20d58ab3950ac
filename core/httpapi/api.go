// Package httpapi is bphost's local HTTP face beside the Buttplug server:
// the REST API of Intiface Engine 4 under /api/v1/ (scan, list devices,
// set outputs, stop, plus battery and input reads), a stream of
// server-sent events at /api/v1/events, and a control panel at / whose
// plain HTML, CSS and JavaScript are embedded in the binary.
//
// It drives the same device manager as the server (core/server), so a
// person can try a toy in the panel while an app is connected, or a script
// can drive one without speaking Buttplug. Safety and security come first:
//
//   - every /api request must carry the per-run token in the X-Bphost-Token
//     header; the panel page the server serves holds it. A page on another
//     origin cannot add that header without a CORS preflight, and the API
//     answers no preflight, so cross-site pages cannot move a toy;
//   - requests whose Host is a domain name other than localhost or the one
//     the server was started on are refused (DNS rebinding);
//   - Close (or the end of Start's context) makes every later output
//     request fail at once, before the owner stops the devices;
//   - a stop refuses every output request that was being handled while it
//     came in, so a stop is never overtaken by a command sent before it.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/server"
)

// TokenHeader is the request header that carries the per-run token.
const TokenHeader = "X-Bphost-Token"

// ErrClosed: the API was closed; nothing reaches a device any more.
var ErrClosed = errors.New("httpapi: closed")

// Devices is the device layer the API drives; *device.Manager is one.
type Devices interface {
	// StartScanning begins a scan, for the panel's scan button.
	StartScanning(ctx context.Context) error
	// StopScanning ends a scan StartScanning began.
	StopScanning(ctx context.Context) error
	// Scanning reports whether a scan runs, for the status the API serves.
	Scanning() bool
	// Devices lists the connected devices, for the device list and the
	// first snapshot of the event stream.
	Devices() []*device.Device
	// Device finds a device by its index, the id of the API's routes.
	Device(index uint32) (*device.Device, bool)
	// StopAll serves the stop-everything route: every output of every
	// device goes to rest.
	StopAll(ctx context.Context) error
	// Watch follows the manager's events (devices added and removed, scans
	// ending, readings), for the event stream, until stop is called; f
	// must not block.
	Watch(f func(device.Event)) (stop func())
}

// Sessions is where client sessions are followed; *server.Server is one.
type Sessions interface {
	WatchSessions(f func(server.SessionEvent)) (stop func())
}

// Simulated lists simulated devices, whose writes the event stream shows;
// *simulated.Manager is one.
type Simulated interface {
	Devices() []*simulated.Device
}

// Config is what the API serves.
type Config struct {
	// Devices is the device manager (required).
	Devices Devices
	// Sessions, when set, reports Buttplug clients coming and going.
	Sessions Sessions
	// Simulated, when set, has the writes of the devices it holds when New
	// is called reported as events.
	Simulated Simulated
	// ServerName is shown in the panel and the status.
	ServerName string
	// Token is the secret every /api request must carry; "" makes a
	// random one.
	Token string
	// Hosts are further host names (without port) requests may be
	// addressed to, besides IP literals and localhost.
	Hosts []string
	// Log receives request failures; nil discards.
	Log *slog.Logger
}

// API serves the REST routes, the event stream and the panel. It is an
// http.Handler; Close it to stop it driving devices.
type API struct {
	cfg   Config
	log   *slog.Logger
	mux   *http.ServeMux
	hub   *hub
	token string

	ctx    context.Context // cancelled by Close: ends event streams and requests
	cancel context.CancelFunc

	// mu orders outputs and stops: outputs queue under the read lock,
	// stops bump stops under the write lock (see queue).
	mu     sync.RWMutex
	closed bool
	stops  atomic.Uint64

	unwatch []func()
	once    sync.Once

	// beforeQueue, when set (by tests), runs between an output's checks
	// and its queueing: the window a stop must win in.
	beforeQueue func()
}

// New returns an API over cfg.Devices. It follows the device manager (and
// the sessions and simulated devices given) from now on; Close stops that.
func New(cfg Config) (*API, error) {
	if cfg.Devices == nil {
		return nil, errors.New("httpapi: Config.Devices is required")
	}
	token := cfg.Token
	if token == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("httpapi: make token: %w", err)
		}
		token = hex.EncodeToString(b)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{cfg: cfg, log: log, token: token, hub: newHub()}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.routes()
	a.follow()
	return a, nil
}

// Token returns the per-run token requests must carry in TokenHeader.
func (a *API) Token() string { return a.token }

// ServeHTTP answers one request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Close makes every later request fail, ends the event streams and stops
// following the devices. It does not stop the devices: their owner does,
// right after. It is idempotent.
func (a *API) Close() error {
	a.once.Do(func() {
		a.mu.Lock()
		a.closed = true
		a.mu.Unlock()
		a.cancel()
		for _, f := range a.unwatch {
			f()
		}
	})
	return nil
}

func (a *API) isClosed() bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.closed
}

// requestContext is the request's context, also ended by Close.
func (a *API) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(a.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// commandContext is the context of a device command: the request's, ended
// by Close, and bounded by commandTimeout.
func (a *API) commandContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := a.requestContext(r)
	ctx, cancelT := context.WithTimeout(ctx, commandTimeout)
	return ctx, func() { cancelT(); cancel() }
}
