// Package logbridge lets the core packages, which log with log/slog, write
// through hashicorp/go-hclog, the logger of the host and of plugins (whose
// hclog output the host receives with the plugin's name).
package logbridge

import (
	"context"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// handler is a slog.Handler writing to an hclog.Logger.
type handler struct {
	l     hclog.Logger
	attrs []any
	group string
}

// Slog returns a *slog.Logger that writes through l.
func Slog(l hclog.Logger) *slog.Logger { return slog.New(&handler{l: l}) }

func (h *handler) Enabled(_ context.Context, lvl slog.Level) bool {
	switch {
	case lvl < slog.LevelInfo:
		return h.l.IsDebug() || h.l.IsTrace()
	case lvl < slog.LevelWarn:
		return h.l.IsInfo() || h.l.IsDebug() || h.l.IsTrace()
	case lvl < slog.LevelError:
		return h.l.IsWarn() || h.l.IsInfo() || h.l.IsDebug() || h.l.IsTrace()
	default:
		return h.l.GetLevel() != hclog.Off
	}
}

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	args := append([]any(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		args = append(args, h.key(a.Key), a.Value.Resolve().Any())
		return true
	})
	switch {
	case r.Level < slog.LevelInfo:
		h.l.Debug(r.Message, args...)
	case r.Level < slog.LevelWarn:
		h.l.Info(r.Message, args...)
	case r.Level < slog.LevelError:
		h.l.Warn(r.Message, args...)
	default:
		h.l.Error(r.Message, args...)
	}
	return nil
}

func (h *handler) key(k string) string {
	if h.group == "" {
		return k
	}
	return h.group + "." + k
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append([]any(nil), h.attrs...)
	for _, a := range attrs {
		n.attrs = append(n.attrs, h.key(a.Key), a.Value.Resolve().Any())
	}
	return &n
}

func (h *handler) WithGroup(name string) slog.Handler {
	n := *h
	if name != "" {
		n.group = h.key(name)
	}
	return &n
}
