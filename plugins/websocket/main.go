// Command bphost-connector-websocket is the bphost connector plugin for
// Buttplug servers on a websocket (ws:// or wss://), such as Intiface
// Central/Engine at ws://127.0.0.1:12345.
package main

import "github.com/bphost/bphost/pluginapi"

func main() { pluginapi.Serve(transport()) }
