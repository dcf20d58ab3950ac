// Command bphost-connector-embedded is the bphost connector plugin that needs
// no external server: it runs the embedded Buttplug server (core/embedded)
// inside the plugin process, with simulated devices when asked.
package main

import "github.com/bphost/bphost/pluginapi"

func main() { pluginapi.Serve(newEmbeddedTransport()) }
