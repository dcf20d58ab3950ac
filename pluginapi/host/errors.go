package host

import (
	"errors"

	"github.com/bphost/bphost/pluginapi/internal/wire"
)

// Errors of this package that callers branch on. Connector errors
// (connector.ErrServerAbsent, ErrRefused, ErrDisconnected...) and
// pluginapi.ErrInvalidOptions keep their meaning across the plugin boundary.
var (
	// ErrPluginExited is the cause of a disconnect when the plugin process
	// died, and the error of calls made while it is gone.
	ErrPluginExited = errors.New("plugin process exited")
	// ErrPluginHung is the cause of a disconnect when the plugin process
	// stopped answering (Config.HangTimeout) and the host killed it; the
	// error names the plugin and when it went silent, and matches
	// ErrPluginExited too.
	ErrPluginHung = errors.New("plugin hung")
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
	// ErrInsecure means someone other than root and the host's user could
	// change what would run: the plugin (or a checksum file) or a directory
	// on its real path is writable by others or owned by another user.
	ErrInsecure = errors.New("insecure plugin location")
	// ErrNoPlugin means no plugin of that name was found.
	ErrNoPlugin = errors.New("no such plugin")
)

// RemoteError is an error a plugin reported on purpose. errors.Is matches
// the error of its kind: connector.ErrServerAbsent, connector.ErrRefused,
// connector.ErrPeerClosed, connector.ErrFrameTooLarge or
// pluginapi.ErrInvalidOptions; other transport failures match none.
type RemoteError struct {
	// Plugin is the name of the plugin that reported it.
	Plugin string
	// Message is the plugin's text.
	Message string

	sentinel error
}

// Error says which plugin reported what.
func (e *RemoteError) Error() string { return "plugin " + e.Plugin + ": " + e.Message }

// Unwrap returns the sentinel of the error's kind, or nil.
func (e *RemoteError) Unwrap() error { return e.sentinel }

// fromStatus maps a gRPC error from a plugin back to a RemoteError. ok is
// false when the status carries no ErrorDetail: the failure is not the
// transport's but the plugin's or the connection's.
func fromStatus(plugin string, err error) (remote *RemoteError, ok bool) {
	msg, sentinel, ok := wire.FromStatus(err)
	if !ok {
		return nil, false
	}
	return &RemoteError{Plugin: plugin, Message: msg, sentinel: sentinel}, true
}
