package fakebluez

import (
	"context"
	"reflect"
	"testing"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/godbus/dbus/v5"
)

func TestAddSimulated(t *testing.T) {
	h := newHarness(t, nil)
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	m := simulated.New(db)
	t.Cleanup(func() { _ = m.Close() })
	sd, err := m.Add("Lovense Hush")
	if err != nil {
		t.Fatal(err)
	}
	var services comm.ServiceMap
	for _, s := range db.Communication("lovense") {
		if s.BLE != nil {
			services = s.BLE.Services
		}
	}
	const svc = "5a300001-0024-4bd4-bbd5-a6920e4c5653"
	txUUID, rxUUID := services[svc][comm.EndpointTx], services[svc][comm.EndpointRx]
	if txUUID == "" || rxUUID == "" {
		t.Fatalf("the lovense configuration has no tx and rx in service %s: %v", svc, services[svc])
	}
	d, err := h.z.AddSimulated(sd, services)
	if err != nil {
		t.Fatal(err)
	}
	if !isMAC(d.Address()) {
		t.Fatalf("address %q is not a MAC", d.Address())
	}

	c := h.client
	c.mustCall(h.z.AdapterPath(), ifaceAdapter+".StartDiscovery")
	path, ifaces := c.added()
	adv := sd.Advertisement()
	props := plain(ifaces[ifaceDevice])
	if path != d.Path() || props["Name"] != adv.Name || !reflect.DeepEqual(props["UUIDs"], adv.Services) ||
		!reflect.DeepEqual(props["ManufacturerData"], map[uint16]any{620: adv.ManufacturerData[620]}) {
		t.Fatalf("InterfacesAdded %s %v, want the advertisement %v", path, props, adv)
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for round := range 2 {
		c.mustCall(d.Path(), ifaceDevice+".Connect")
		if !sd.Connected() {
			t.Fatalf("round %d: the simulated device is not connected", round)
		}
		tx, rx := charPath(t, c, d, txUUID), charPath(t, c, d, rxUUID)
		c.mustCall(rx, ifaceChar+".StartNotify")
		c.mustCall(tx, ifaceChar+".WriteValue", []byte("DeviceType;"), map[string]any{"type": "command"})
		for {
			ch := c.changes(rx, ifaceChar)
			if v, ok := ch["Value"]; ok {
				if string(v.([]byte)) != "Z:11:0082059AD3BD;" {
					t.Fatalf("round %d: answer %q", round, v)
				}
				break
			}
		}
		recs := sd.Records()
		if len(recs) < 2 {
			t.Fatalf("round %d: records %v", round, recs)
		}
		last := recs[len(recs)-2:]
		if last[0].Kind != simulated.RecordSubscribe || last[0].Endpoint != comm.EndpointRx ||
			last[1].Kind != simulated.RecordWrite || last[1].Endpoint != comm.EndpointTx || string(last[1].Data) != "DeviceType;" || last[1].WithResponse {
			t.Fatalf("round %d: records %v", round, last)
		}
		// The first round ends from the central, the second from the
		// simulated device.
		if round == 0 {
			c.mustCall(d.Path(), ifaceDevice+".Disconnect")
		} else {
			sd.Disconnect()
		}
		if err := d.WaitConnected(ctx, false); err != nil {
			t.Fatal(err)
		}
		if sd.Connected() {
			t.Fatalf("round %d: the simulated device is still connected", round)
		}
	}
}

// charPath finds the characteristic uuid among d's GATT objects.
func charPath(t *testing.T, c *client, d *Device, uuid string) dbus.ObjectPath {
	t.Helper()
	for p, ifaces := range c.objects() {
		if ch, ok := ifaces[ifaceChar]; ok && ch["UUID"].Value() == uuid {
			return p
		}
	}
	t.Fatalf("device %s has no characteristic %s", d.Path(), uuid)
	return ""
}
