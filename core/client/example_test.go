package client_test

import (
	"context"
	"fmt"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/client/internal/fakeserver"
	"github.com/bphost/bphost/core/protocol"
)

// The examples talk to a scripted in-memory server; a real application
// passes a websocket (or other) connector to Connect instead.

// hush is a one-motor Lovense as a spec v4 server describes it.
var hush = protocol.DeviceInfo{DeviceIndex: 0, DeviceName: "Lovense Hush", DeviceMessageTimingGap: 100,
	DeviceFeatures: map[uint32]protocol.Feature{
		0: {FeatureIndex: 0, Output: map[protocol.OutputType]protocol.OutputSpec{protocol.OutputVibrate: {Value: protocol.Range{0, 20}}}},
		1: {FeatureIndex: 1, FeatureDescription: "Button", Input: map[protocol.InputType]protocol.InputSpec{
			protocol.InputButton: {Value: protocol.RangeList{{0, 1}}, Command: []protocol.InputCommandType{protocol.InputCommandSubscribe, protocol.InputCommandUnsubscribe}},
		}},
	}}

// Connecting to a server that only speaks spec v3: the client asks for v4,
// is refused, and falls back on its own.
func ExampleClient_Connect() {
	srv := fakeserver.New(fakeserver.Config{Name: "Old Server", Version: protocol.Version3, Refusal: fakeserver.RefuseWithError})
	defer srv.Close()
	ctx := context.Background()

	c := client.New("example app")
	if err := c.Connect(ctx, srv.Connector()); err != nil {
		fmt.Println("connect:", err)
		return
	}
	defer c.Disconnect(ctx)

	info, _ := c.ServerInfo()
	fmt.Printf("connected to %q, spec %s\n", info.Name, info.Version)
	for _, r := range info.Refused {
		fmt.Printf("spec %s refused: %v\n", r.Version, r.Err)
	}
	// Output:
	// connected to "Old Server", spec v3
	// spec v4 refused: client: RequestServerInfo (Id 1): buttplug ERROR_MSG: spec v4 is not supported by this server
}

// Scanning: devices arrive as events while the server looks for them.
func ExampleClient_StartScanning() {
	srv := fakeserver.New(fakeserver.Config{})
	defer srv.Close()
	ctx := context.Background()

	c := client.New("example app")
	events := c.Subscribe(16)
	defer events.Close()
	if err := c.Connect(ctx, srv.Connector()); err != nil {
		fmt.Println("connect:", err)
		return
	}
	defer c.Disconnect(ctx)
	if err := c.StartScanning(ctx); err != nil {
		fmt.Println("scan:", err)
		return
	}

	// The server finds a toy, then stops scanning.
	sess, _ := srv.NextSession(ctx)
	_ = sess.AddDeviceV4(hush)
	_ = sess.Send(&protocol.ScanningFinished{})

	for ev := range events.C() {
		switch ev := ev.(type) {
		case client.Connected:
			fmt.Println("connected, spec", ev.Info.Version)
		case client.DeviceAdded:
			fmt.Println("found", ev.Device)
		case client.ScanningFinished:
			fmt.Println("scanning finished; devices:", c.Devices())
			return
		}
	}
	// Output:
	// connected, spec v4
	// found [0] Lovense Hush
	// scanning finished; devices: [[0] Lovense Hush]
}

// Vibrating at half strength: 0.5 of the range [0, 20] is 10 steps.
func ExampleDevice_Vibrate() {
	srv := fakeserver.New(fakeserver.Config{DevicesV4: []protocol.DeviceInfo{hush}})
	defer srv.Close()
	ctx := context.Background()

	c := client.New("example app")
	if err := c.Connect(ctx, srv.Connector()); err != nil {
		fmt.Println("connect:", err)
		return
	}
	defer c.Disconnect(ctx)

	toy, _ := c.Device(0)
	for _, f := range toy.Features() {
		for _, o := range f.Outputs {
			fmt.Printf("feature %d: %s %v\n", f.Index, o.Type, o.Range)
		}
	}
	if err := toy.Vibrate(ctx, client.Fraction(0.5)); err != nil {
		fmt.Println("vibrate:", err)
		return
	}

	// What the server received after the handshake and the device list.
	sess, _ := srv.NextSession(ctx)
	for range 2 {
		_, _ = sess.Next(ctx)
	}
	f, _ := sess.Next(ctx)
	fmt.Println(f.Raw)
	// Output:
	// feature 0: Vibrate [0 20]
	// [{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]
}

// Subscribing to an input: readings arrive on the subscription's channel
// (and as client events).
func ExampleDevice_SubscribeInput() {
	srv := fakeserver.New(fakeserver.Config{DevicesV4: []protocol.DeviceInfo{hush}})
	defer srv.Close()
	ctx := context.Background()

	c := client.New("example app")
	if err := c.Connect(ctx, srv.Connector()); err != nil {
		fmt.Println("connect:", err)
		return
	}
	defer c.Disconnect(ctx)

	toy, _ := c.Device(0)
	button, err := toy.SubscribeInput(ctx, 1, protocol.InputButton, 8)
	if err != nil {
		fmt.Println("subscribe:", err)
		return
	}

	// Someone presses the button.
	sess, _ := srv.NextSession(ctx)
	_ = sess.Send(&protocol.InputReading{DeviceIndex: 0, FeatureIndex: 1, Reading: protocol.InputValue{Type: protocol.InputButton, Value: 1}})

	if r, ok := (<-button.C()).(client.InputReading); ok {
		fmt.Printf("%v feature %d %s: %v\n", r.Device, r.Feature, r.Type, r.Values)
	}
	if err := button.Unsubscribe(ctx); err != nil {
		fmt.Println("unsubscribe:", err)
	}
	// Output:
	// [0] Lovense Hush feature 1 Button: [1]
}
