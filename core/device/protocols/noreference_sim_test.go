package protocols_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/devicetest"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/protocol"
)

// Every configured model of muse, sayberx, twerkingbutt and libo-karen,
// simulated, connects through the device manager as that model; a model
// with an output writes its packet for the top step, one without shows up
// with no outputs.
func TestNoReferenceProtocolsEveryModelConnects(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	top := map[string][]byte{
		"Dream Lover Archer 2": {0x09, 0x01},
		"Galaku Panty Vib":     {0x09, 0x01},
		"SayberX":              []byte("AT+SPD40"),
	}
	mine := map[string]bool{"muse": true, "sayberx": true, "twerkingbutt": true, "libo-karen": true}
	sim := simulated.New(db)
	m := device.NewManager(db, []comm.Manager{sim})
	defer m.Close()
	want := map[string]*config.Definition{}
	sims := map[string]*simulated.Device{}
	covered := map[string]bool{}
	for _, def := range db.Definitions() {
		if !mine[def.Protocol] {
			continue
		}
		sd, err := sim.AddDefinition(def)
		if err != nil {
			t.Errorf("%s %q: %v", def.Protocol, def.Name, err)
			continue
		}
		want[sd.Address()], sims[sd.Address()] = def, sd
		covered[def.Protocol] = true
	}
	if len(covered) != len(mine) {
		t.Fatalf("models of %d protocols simulated, want %d", len(covered), len(mine))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := devicetest.NewDirectClient(ctx, &devicetest.Env{DB: db, Sim: sim, Manager: m})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	added, err := cl.WaitDevices(ctx, len(want))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*device.Device{}
	for _, a := range added {
		if d, ok := m.Device(a.Index); ok {
			got[d.Address()] = d
		}
	}
	for addr, def := range want {
		d, sd := got[addr], sims[addr]
		t.Run(def.Protocol+"/"+def.Name, func(t *testing.T) {
			if d == nil {
				t.Fatal("did not come up")
			}
			// A protocol's defaults are simulated with one of its names, so
			// they come up as the model of that name.
			if d.Protocol() != def.Protocol || (len(def.Identifiers) > 0 && d.Name() != def.Name) {
				t.Fatalf("came up as %s %q", d.Protocol(), d.Name())
			}
			packet, hasOutput := top[d.Name()]
			outputs := 0
			for _, f := range d.Definition().Features {
				outputs += len(f.Outputs)
			}
			if !hasOutput {
				if outputs != 0 {
					t.Fatalf("%d outputs, want none", outputs)
				}
				return
			}
			if err := d.Output(ctx, 0, protocol.OutputCommand{Type: protocol.OutputVibrate, Value: d.Definition().Features[0].Output(protocol.OutputVibrate).Steps().Max()}); err != nil {
				t.Fatal(err)
			}
			wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
			defer wcancel()
			for {
				for _, w := range sd.Writes() {
					if w.Endpoint == comm.EndpointTx && bytes.Equal(w.Data, packet) {
						return
					}
				}
				select {
				case <-sd.Changed():
				case <-wctx.Done():
					t.Fatalf("no write of % x; writes %v", packet, sd.Writes())
				}
			}
		})
	}
}
