package pluginapi

import "github.com/bphost/bphost/pluginapi/internal/wire"

// ErrInvalidOptions means options were unknown, missing or malformed:
// Description.Resolve returns it, and a transport's Open may wrap it. It
// keeps its meaning across the plugin boundary, as do the connector errors
// (connector.ErrServerAbsent, ErrRefused, ErrDisconnected...).
var ErrInvalidOptions = wire.ErrInvalidOptions
