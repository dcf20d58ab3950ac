package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/pluginapi/host"
)

// hostHelperEnv, set to the plugin binary's path, makes the test binary a
// host (hostHelper).
const hostHelperEnv = "BPHOST_TEST_EMBEDDED_HOST"

// hostHelper is a host that is then killed: it launches the embedded plugin
// named by hostHelperEnv, connects a client, vibrates device 0 at half
// speed, prints "vibrating <plugin pid>" and waits to be killed.
func hostHelper() int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := host.Launch(ctx, os.Getenv(hostHelperEnv), host.Config{})
	if err != nil {
		fmt.Println("launch:", err)
		return 1
	}
	c := client.New("host-gone test")
	if err := c.Connect(ctx, p.Connector(map[string]string{"use-bluetooth-le": "true"})); err != nil {
		fmt.Println("connect:", err)
		return 1
	}
	if err := c.StartScanning(ctx); err != nil {
		fmt.Println("scan:", err)
		return 1
	}
	for {
		if d, ok := c.Device(0); ok {
			if err := d.Vibrate(ctx, client.Fraction(0.5)); err != nil {
				fmt.Println("vibrate:", err)
				return 1
			}
			break
		}
		select {
		case <-ctx.Done():
			fmt.Println("no device found")
			return 1
		case <-time.After(10 * time.Millisecond):
		}
	}
	fmt.Println("vibrating", p.Pid())
	<-ctx.Done()
	return 1
}
