// Command bphost-connector-ipc is the bphost connector plugin for Buttplug
// servers on local IPC: a Unix domain socket on Linux and macOS, a named
// pipe on Windows, one JSON frame per line.
package main

import "github.com/bphost/bphost/pluginapi"

func main() { pluginapi.Serve(transport()) }
