package server_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/server"
)

// A server over a device manager built by hand, with a connector for each
// client session.
func ExampleServer_Connector() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := config.Default()
	if err != nil {
		log.Fatal(err)
	}
	sim := simulated.New(db)
	if _, err := sim.Add("Lovense Nora"); err != nil {
		log.Fatal(err)
	}
	m := device.NewManager(db, []comm.Manager{sim})
	defer m.Close()
	srv := server.New(server.FromDeviceManager(m), server.WithName("my server"))
	defer srv.Close()

	c := client.New("my app", client.WithVersion(3)) // an older client is served in its own version
	if err := c.Connect(ctx, srv.Connector()); err != nil {
		log.Fatal(err)
	}
	info, _ := c.ServerInfo()
	fmt.Println(info.Name, info.Version)
	if err := c.Disconnect(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// my server v3
}
