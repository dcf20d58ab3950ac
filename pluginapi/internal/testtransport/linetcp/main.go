// Command linetcp is pluginapi's test plugin (bphost-connector-linetcp).
// With BPHOST_TEST_NOISE=1 in its environment it prints on stdout before
// serving and all along, as a careless plugin might.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/internal/testtransport"
)

func main() {
	if os.Getenv("BPHOST_TEST_NOISE") == "1" {
		fmt.Println("noise on stdout before the handshake")
		fmt.Println("1|1|tcp|not-a-handshake") // almost a handshake line
		go func() {
			for range time.Tick(10 * time.Millisecond) {
				fmt.Println("more noise")
			}
		}()
	}
	pluginapi.Serve(testtransport.New())
}
