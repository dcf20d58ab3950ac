package main

import (
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/plugins/tcp/tcpconn"
)

// version is the plugin's version; release builds set it with -ldflags -X.
var version = "0.1.0"

// transport is the TCP transport as a plugin serves it.
func transport() pluginapi.Transport {
	desc := pluginapi.Description{
		Name:    "tcp",
		Version: version,
		Summary: "Buttplug over plain TCP, one JSON frame per line",
		Options: []pluginapi.OptionSpec{
			{Name: "address", Default: tcpconn.DefaultAddress, Help: "server host:port"},
			{Name: "connect-timeout", Type: pluginapi.OptionDuration, Default: "10s", Help: "time allowed to reach the server"},
		},
	}
	return pluginapi.FromConnector(desc, func(o pluginapi.Options) (connector.Connector, error) {
		return tcpconn.New(tcpconn.Options{Address: o.String("address"), ConnectTimeout: o.Duration("connect-timeout")})
	})
}
