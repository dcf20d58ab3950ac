package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/core/httpapi"
)

// An API beside an embedded server: a script scans and sets the simulated
// Hush's vibration to half through the REST routes.
func Example() {
	e, err := embedded.New(embedded.Config{Simulate: []string{"Lovense Hush"}})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	added := make(chan uint32, 1)
	defer e.Devices.Watch(func(ev device.Event) {
		if ev.Kind == device.DeviceAdded {
			added <- ev.Index
		}
	})()
	api, err := httpapi.New(httpapi.Config{Devices: e.Devices, Sessions: e.Server, Simulated: e.Simulated, ServerName: e.Name()})
	if err != nil {
		panic(err)
	}
	defer api.Close()
	srv := httptest.NewServer(api) // bphost serve uses httpapi.Start
	defer srv.Close()

	call := func(method, path string) int {
		req, _ := http.NewRequestWithContext(context.Background(), method, srv.URL+path, nil)
		req.Header.Set(httpapi.TokenHeader, api.Token())
		res, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	fmt.Println("scan:", call("GET", "/api/v1/start-scanning"))
	index := <-added
	fmt.Println("vibrate:", call("PUT", fmt.Sprintf("/api/v1/devices/%d/outputs/Vibrate/0.5", index)))
	w := e.Simulated.Devices()[0].Writes()
	fmt.Printf("the toy received %q\n", w[len(w)-1].Data)
	// Output:
	// scan: 200
	// vibrate: 200
	// the toy received "Vibrate:10;"
}
