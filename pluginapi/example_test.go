package pluginapi_test

import (
	"fmt"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/plugintest"
)

// A plugin's main is one call.
func ExampleServe() {
	// func main() {
	pluginapi.Serve(plugintest.Echo())
	// }
}

// A transport that already is a connector.Connector becomes a plugin
// through FromConnector; the options come checked and typed.
func ExampleFromConnector() {
	desc := pluginapi.Description{
		Name:    "pipe",
		Version: "1.0.0",
		Options: []pluginapi.OptionSpec{{Name: "buffer", Type: pluginapi.OptionInt, Default: "16", Help: "frames held per direction"}},
	}
	tr := pluginapi.FromConnector(desc, func(o pluginapi.Options) (connector.Connector, error) {
		client, _ := connector.Pipe(o.Int("buffer"))
		return client, nil
	})
	fmt.Println(tr.Describe().Name)
	// Output: pipe
}
