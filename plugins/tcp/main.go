// Command bphost-connector-tcp is the bphost connector plugin for Buttplug
// servers on plain TCP, one JSON frame per line (`bphost serve --listen
// tcp://127.0.0.1:12346`).
package main

import "github.com/bphost/bphost/pluginapi"

func main() { pluginapi.Serve(transport()) }
