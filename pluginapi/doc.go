// Package pluginapi is how bphost transports ship as plugins: separate
// executables that the host starts and speaks to over gRPC with
// hashicorp/go-plugin (gRPC mode, AutoMTLS, a magic-cookie handshake and a
// versioned contract), so that a new transport needs no new host.
//
// # The contract
//
// proto/bphost/connector/v1/connector.proto defines the service every
// plugin serves: Describe (name, version, contract version, options),
// Open (options in, session out), one long-lived bidirectional stream of
// frames per session, and Close. Errors cross as gRPC statuses with a
// detail the host maps back to core/connector's errors. `make generate`
// regenerates the Go code in internal/connectorv1 with pinned tools;
// `make generate-check` fails when it is stale.
//
// # Writing a plugin
//
// Implement Transport (Describe, and Open returning a Session: Send, Recv,
// Close) and make Serve the whole of main:
//
//	func main() { pluginapi.Serve(myTransport{}) }
//
// A transport that exists as a connector.Connector needs no new type:
// FromConnector adapts its constructor. Serve does the gRPC service, the
// frame streams and their flow control, logging through go-hclog to the
// host (Options.Logger), and shutdown. The executable is named
// bphost-connector-<name> (.exe on Windows). Check it with the conformance
// kit in pluginapi/plugintest; examples/lenframe is a complete plugin.
//
// # Hosting plugins
//
// Dirs lists the plugin directories in search order (flags,
// BPHOST_PLUGIN_PATH, the user config dir's bphost/plugins, plugins/ beside
// the executable); Discover finds the executables there, the earliest of a
// name winning. Launch verifies one (not world-writable; its sha256 when a
// Checksums file is in force), starts it and reads its Description;
// Plugin.Connector returns a connector.Connector for core/client. A plugin
// that crashes ends its sessions with ErrPluginExited within a second and
// is started again by the next Connect. Plugins never outlive their host:
// each exits when the host's end of its stdin closes, which happens
// however the host ends; Cleanup and SignalContext close them in order on
// the way out.
package pluginapi
