package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/internal/logbridge"
	"github.com/hashicorp/go-hclog"
)

// launcher starts a connector by name. release ends whatever was started
// for it (a plugin process) and is safe to call once the connector is
// closed; it is never nil.
type launcher interface {
	Launch(ctx context.Context, name string, opts map[string]string, log hclog.Logger) (conn connector.Connector, release func(), err error)
}

// connectorOptions returns the options for the chosen connector: --opt
// (and its sugar --simulate) and the config file's.
func (a *app) connectorOptions() map[string]string {
	opts := maps.Clone(a.g.opts.vals)
	if opts == nil {
		opts = map[string]string{}
	}
	return opts
}

// withClient starts the connector, connects a client through it, runs fn,
// and then disconnects and releases everything, whatever fn returned.
func (a *app) withClient(ctx context.Context, fn func(ctx context.Context, c *client.Client) error) (err error) {
	log, err := newLogger(a.stderr, a.g.logLevel)
	if err != nil {
		return err
	}
	l := a.launcher
	if l == nil {
		pl, err := a.newPluginLauncher(log)
		if err != nil {
			return err
		}
		l = pl
	}
	conn, release, err := l.Launch(ctx, a.g.connector, a.connectorOptions(), log)
	if err != nil {
		return err
	}
	defer release()
	c, disconnect, err := a.connect(ctx, conn, log)
	if err != nil {
		return err
	}
	defer func() {
		if derr := disconnect(); err == nil {
			err = derr
		}
	}()
	return fn(ctx, c)
}

// connect connects a client through conn within --timeout. disconnect ends
// the session (even when ctx is done) and reports a failure to do so; a
// session the server already ended is not a failure.
func (a *app) connect(ctx context.Context, conn connector.Connector, log hclog.Logger) (c *client.Client, disconnect func() error, err error) {
	c = client.New("bphost", client.WithLogger(logbridge.Slog(log.Named("client"))), client.WithRequestTimeout(a.g.timeout))
	cctx, cancel := context.WithTimeout(ctx, a.g.timeout)
	err = c.Connect(cctx, conn)
	cancel()
	if err != nil {
		_ = conn.Close()
		return nil, nil, a.explainConnect(err)
	}
	return c, func() error {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := c.Disconnect(dctx); err != nil && !errors.Is(err, connector.ErrDisconnected) && !errors.Is(err, client.ErrNotConnected) {
			return fmt.Errorf("disconnect: %w", err)
		}
		return nil
	}, nil
}

// explainConnect turns a failed connect into a message that says what to
// do about it.
func (a *app) explainConnect(err error) error {
	switch {
	case errors.Is(err, connector.ErrServerAbsent):
		return fmt.Errorf("connect through %q: %w (is Intiface or `bphost serve` running there?)", a.g.connector, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("connect through %q: no answer within %s: %w", a.g.connector, a.g.timeout, err)
	default:
		return fmt.Errorf("connect through %q: %w", a.g.connector, err)
	}
}
