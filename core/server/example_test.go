package server_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/server"
)

// An application runs the server in its own process and connects the
// client to it: no Intiface, no network.
func ExampleNewEmbedded() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := server.NewEmbedded(server.EmbeddedConfig{Simulate: []string{"Lovense Hush"}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c := client.New("my app")
	events := c.Subscribe(0)
	defer events.Close()
	if err := c.Connect(ctx, srv.Connector()); err != nil {
		log.Fatal(err)
	}
	if err := c.StartScanning(ctx); err != nil {
		log.Fatal(err)
	}
	for ev := range events.C() {
		if added, ok := ev.(client.DeviceAdded); ok {
			fmt.Println("found", added.Device.Name())
			if err := added.Device.Vibrate(ctx, client.Fraction(0.5)); err != nil {
				log.Fatal(err)
			}
			break
		}
	}
	if err := c.Disconnect(ctx); err != nil {
		log.Fatal(err)
	}
	// The simulated toy recorded what a real one would have received.
	for _, w := range srv.Simulated.Devices()[0].Writes() {
		fmt.Println(string(w.Data))
	}
	// Output:
	// found Lovense Hush
	// DeviceType;
	// Vibrate:10;
	// Vibrate:0;
}

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

// `bphost serve` binds listeners from URLs, then serves them until its
// context ends.
func ExampleListen() {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.NewEmbedded(server.EmbeddedConfig{Simulate: []string{"Lovense Hush"}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	var ls []*server.Listener
	for _, u := range []string{"ws://127.0.0.1:0", "tcp://127.0.0.1:0"} {
		l, err := server.Listen(ctx, u)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("listening on", strings.Split(l.URL(), ":")[0]+"://127.0.0.1")
		ls = append(ls, l)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ls...) }()
	cancel() // Ctrl-C
	fmt.Println("serve:", <-done)
	// Output:
	// listening on ws://127.0.0.1
	// listening on tcp://127.0.0.1
	// serve: <nil>
}
