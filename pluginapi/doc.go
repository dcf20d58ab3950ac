// Package pluginapi is the SDK of bphost transport authors: a transport
// ships as a plugin, a separate executable that the host starts and speaks
// to over gRPC with hashicorp/go-plugin (gRPC mode, AutoMTLS, a
// magic-cookie handshake and a versioned contract), so that a new transport
// needs no new host.
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
// Hosts use pluginapi/host: Discover, Launch, Plugin and its Connector,
// Checksums.
package pluginapi
