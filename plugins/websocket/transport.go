package main

import (
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/plugins/websocket/wsconn"
)

// version is the plugin's version; release builds set it with -ldflags -X.
var version = "0.1.0"

// transport is the websocket transport as a plugin serves it.
func transport() pluginapi.Transport {
	desc := pluginapi.Description{
		Name:    "websocket",
		Version: version,
		Summary: "Buttplug over a websocket (ws:// or wss://), e.g. Intiface Central/Engine",
		Options: []pluginapi.OptionSpec{
			{Name: "address", Default: wsconn.DefaultAddress, Help: "server URL, ws://host:port or wss://host:port (Intiface's default is " + wsconn.DefaultAddress + ")"},
			{Name: "ca-file", Help: "PEM file of extra CA certificates to trust for wss://"},
			{Name: "insecure-skip-verify", Type: pluginapi.OptionBool, Default: "false", Help: "accept any wss:// certificate (DANGEROUS: anyone on the path can read and drive your devices)"},
			{Name: "connect-timeout", Type: pluginapi.OptionDuration, Default: "10s", Help: "time allowed to reach the server"},
		},
	}
	return pluginapi.FromConnector(desc, func(o pluginapi.Options) (connector.Connector, error) {
		if o.Bool("insecure-skip-verify") {
			o.Logger().Warn("insecure-skip-verify is on: the server's certificate is NOT checked; anyone on the network path can impersonate the server")
		}
		return wsconn.New(wsconn.Options{
			Address:            o.String("address"),
			CAFile:             o.String("ca-file"),
			InsecureSkipVerify: o.Bool("insecure-skip-verify"),
			ConnectTimeout:     o.Duration("connect-timeout"),
		})
	})
}
