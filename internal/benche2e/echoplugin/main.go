// Command echoplugin is a connector plugin whose sessions echo every frame:
// the plugin hop of `make bench-e2e` with no transport behind it, to
// compare with a bare grpc-go stream between two processes.
package main

import (
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/plugintest"
)

func main() { pluginapi.Serve(plugintest.Echo()) }
