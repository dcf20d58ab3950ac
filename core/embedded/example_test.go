package embedded_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/embedded"
)

// An application runs the server in its own process and connects the
// client to it: no Intiface, no network.
func ExampleNew() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := embedded.New(embedded.Config{Simulate: []string{"Lovense Hush"}})
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
