//go:build linux

package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/plugins/ipc/ipcconn"
	"github.com/bphost/bphost/plugins/tcp/tcpconn"
	"github.com/bphost/bphost/plugins/websocket/wsconn"
)

// clientEnv makes the test binary a soak client of the URL it names.
const clientEnv = "BPHOST_SOAK_CLIENT"

func TestMain(m *testing.M) {
	if u := os.Getenv(clientEnv); u != "" {
		os.Exit(runClient(u))
	}
	os.Exit(m.Run())
}

// runClient is one client process: sessions with pipelined commands until
// it is killed or has done a few; sometimes it leaves with Disconnect,
// sometimes by exiting with the toy moving.
func runClient(rawURL string) int {
	scheme, addr, _ := strings.Cut(rawURL, "://")
	var c connector.Connector
	var err error
	switch scheme {
	case "ws":
		c, err = wsconn.New(wsconn.Options{Address: rawURL})
	case "tcp":
		c, err = tcpconn.New(tcpconn.Options{Address: addr})
	case "unix":
		c, err = ipcconn.New(ipcconn.Options{Path: addr})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 1 + rand.IntN(3) {
		cl := client.New("soak")
		if err := cl.Connect(ctx, c); err != nil {
			time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
			continue // busy: another client has the server
		}
		devs := cl.Devices()
		var wg sync.WaitGroup
		for range 1 + rand.IntN(20) {
			for _, d := range devs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = d.Vibrate(ctx, client.Steps(int32(1+rand.IntN(19))))
				}()
			}
			time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		}
		wg.Wait()
		if rand.IntN(3) == 0 {
			os.Exit(0) // gone with the toy moving: the kernel closes the socket
		}
		_ = cl.Disconnect(ctx)
	}
	return 0
}
