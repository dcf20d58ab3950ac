// Command foreign is a go-plugin plugin of some other program, with its own
// handshake cookie: pluginapi's tests check that the host refuses it with a
// clear message.
package main

import "github.com/hashicorp/go-plugin"

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  1,
			MagicCookieKey:   "OTHER_APP_PLUGIN",
			MagicCookieValue: "other",
		},
		Plugins: plugin.PluginSet{},
	})
}
