package config_test

import (
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
)

func ExampleLoad() {
	// A user configuration that renames one Lovense Hush and limits its
	// vibration to steps 0-10 of the device's 0-20.
	user := []byte(`{"version":{"major":4,"minor":0},"user_configs":{"devices":[
	 {"identifier":{"protocol":"lovense","identifier":"Z","address":"AA:BB"},
	  "config":{"id":"5d434198-4697-4b00-985e-33788fc955d1","base_id":"37642e1c-a416-44d3-bada-76b6d9e245c9",
	   "features":[{"id":"16099312-8bf8-45f7-9a37-9c56ffd972ae","base_id":"3f7a25a5-df21-42ca-bf9f-d1c52df1f37e",
	                "output":{"vibrate":{"value":[0,10]}}},
	               {"id":"3ad9adee-8c32-408f-8e8c-4a275bb9421c","base_id":"14bd7637-13ed-49ba-9eb9-9c8ba9abec20"}],
	   "user_config":{"allow":false,"deny":false,"index":4,"display_name":"Bedside"}}}]}}`)
	db, err := config.Load(nil, &config.Source{Name: "user.json", Data: user})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := db.Match(comm.Advertisement{Bus: comm.BusBLE, Name: "LVS-Z36", Address: "AA:BB"})
	fmt.Println(m[0].Protocol)
	d, _ := db.Resolve("lovense", "Z", "AA:BB")
	fmt.Println(d.Name, d.DisplayName, d.Index, d.DeviceInfo(d.Index, 0).DeviceFeatures[0].Output["Vibrate"].Value)

	_, err = config.Load(nil, &config.Source{Name: "broken.json", Data: []byte(`{"version":{"major":4},"user_configs":{"devices":[{"identifier":7}]}}`)})
	fmt.Println(err)
	// Output:
	// lovense
	// Lovense Hush Bedside 4 [0 10]
	// device config broken.json: $.user_configs.devices[0].identifier: expected an object, got a number
}
