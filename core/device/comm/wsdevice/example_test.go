package wsdevice_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/comm/wsdevice"
	"github.com/bphost/bphost/core/device/comm/wsdevice/wsdevicetest"
	"github.com/bphost/bphost/core/device/config"
)

// A device manager over the device websocket server: a device that dials
// in and identifies as "LVSDevice" is a Lovense toy, by the user
// configuration, and takes Lovense commands as binary messages.
func ExampleNew() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, err := config.Load(nil, &config.Source{Name: "user.json", Data: []byte(`{"version":{"major":4,"minor":0},
	  "user_configs":{"protocols":{"lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}`)})
	if err != nil {
		log.Fatal(err)
	}
	ws, err := wsdevice.New(db, "127.0.0.1:0") // wsdevice.DefaultAddr in real life
	if err != nil {
		log.Fatal(err)
	}
	dm := device.NewManager(db, []comm.Manager{ws})
	defer dm.Close()

	// A Go stand-in for DIY firmware: answers like a Lovense Hush ("Z").
	toy, err := wsdevicetest.Connect(ctx, "ws://"+ws.Addr().String(), wsdevice.Identify{Identifier: "LVSDevice", Address: "8A3F2C01"}, "lovense", "Z")
	if err != nil {
		log.Fatal(err)
	}
	defer toy.Close()
	for e := range dm.Events() {
		if e.Kind == device.DeviceAdded {
			fmt.Println("connected:", e.Device.Info().DeviceName)
			if err := e.Device.Stop(ctx, nil, false, true); err != nil {
				log.Fatal(err)
			}
			break
		}
	}
	got, err := toy.WaitFor(ctx, "Vibrate:0;")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the toy received:", got)
	// Output:
	// connected: Lovense Hush
	// the toy received: [DeviceType; Vibrate:0;]
}
