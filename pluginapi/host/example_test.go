package host_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/pluginapi/plugintest"
)

// NewInProcess runs a transport through the plugin contract without a
// binary; the connector it gives is the one a host uses with a process.
func ExampleNewInProcess() {
	ctx := context.Background()
	p, err := host.NewInProcess(plugintest.Echo(), host.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	c := p.Connector(nil)
	if err := c.Connect(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_ = c.Send(ctx, []byte(`[{"Ping":{"Id":1}}]`))
	f, err := c.Recv(ctx)
	fmt.Println(string(f), err)

	err = p.Connector(map[string]string{"volume": "11"}).Connect(ctx)
	fmt.Println(err)
	// Output:
	// [{"Ping":{"Id":1}}] <nil>
	// plugin echo: invalid options: unknown option "volume" (echo takes no options)
}

func ExampleParseChecksums() {
	file := `# made with: sha256sum bphost-connector-*
9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  bphost-connector-tcp
`
	sums, err := host.ParseChecksums(strings.NewReader(file), "plugins.sha256")
	if err != nil {
		fmt.Println(err)
		return
	}
	sum, ok := sums.Lookup("bphost-connector-tcp")
	fmt.Printf("%x %v\n", sum[:4], ok)
	// Output: 9f86d081 true
}
