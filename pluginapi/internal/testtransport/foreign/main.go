// Command foreign is a plugin that bphost must refuse. By default it is a
// go-plugin plugin of some other program, with its own handshake cookie;
// with FOREIGN_CONTRACT=2 it has bphost's cookie but speaks only a contract
// version this host does not.
package main

import (
	"os"

	"github.com/bphost/bphost/pluginapi"
	"github.com/hashicorp/go-plugin"
)

func main() {
	cfg := &plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "OTHER_APP_PLUGIN", MagicCookieValue: "other"},
		Plugins:         plugin.PluginSet{},
	}
	if os.Getenv("FOREIGN_CONTRACT") == "2" {
		hs := pluginapi.Handshake
		hs.ProtocolVersion = 2
		cfg = &plugin.ServeConfig{
			HandshakeConfig:  hs,
			VersionedPlugins: map[int]plugin.PluginSet{2: {}},
			GRPCServer:       plugin.DefaultGRPCServer,
		}
	}
	plugin.Serve(cfg)
}
