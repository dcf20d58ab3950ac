package main

import (
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/plugins/ipc/ipcconn"
)

// version is the plugin's version; release builds set it with -ldflags -X.
var version = "0.1.0"

// transport is the IPC transport as a plugin serves it.
func transport() pluginapi.Transport {
	desc := pluginapi.Description{
		Name:    "ipc",
		Version: version,
		Summary: "Buttplug over a Unix domain socket (Windows: a named pipe), one JSON frame per line",
		Options: []pluginapi.OptionSpec{
			{Name: "path", Default: ipcconn.DefaultPath(), Help: `socket path, or pipe name like \\.\pipe\bphost on Windows`},
			{Name: "connect-timeout", Type: pluginapi.OptionDuration, Default: "10s", Help: "time allowed to reach the server"},
		},
	}
	return pluginapi.FromConnector(desc, func(o pluginapi.Options) (connector.Connector, error) {
		return ipcconn.New(ipcconn.Options{Path: o.String("path"), ConnectTimeout: o.Duration("connect-timeout")})
	})
}
