package protocols_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/devicetest"
	"github.com/bphost/bphost/core/device/protocols"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/protocol"
)

// b1Protocols are the protocols of the first half; lovense-connect-service
// is deliberately not implemented (see unimplemented.go) and libo-karen is
// tested in noreference_test.go.
var b1Protocols = []string{
	"cueme", "fredorch", "fredorch-rotary", "honeyplaybox", "htk_bm", "kiiroo-v1", "kiiroo-v2",
	"kiiroo-v2-vibrator", "kiiroo-v21", "kiiroo-v21-initialized", "kiiroo-v3", "kizuna", "libo-elle",
	"libo-shark", "libo-vibes", "lioness", "lovedistance", "lovenuts",
}

// Every configured model of these protocols, simulated, connects through
// the device manager as that model and takes a command on its first
// output: the device receives a write for it.
func TestBatch1EveryModelConnectsAndTakesACommand(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]bool{}
	for _, p := range b1Protocols {
		if _, ok := protocols.Lookup(p); !ok {
			t.Errorf("%s not registered", p)
		}
		mine[p] = true
	}
	var defs []*config.Definition
	for _, def := range db.Definitions() {
		if mine[def.Protocol] && def.Protocol != "kizuna" {
			defs = append(defs, def)
		}
	}
	b1Simulate(t, db, defs)
}

// Kizuna is a serial device. Its configured port, "default", is shared by
// every serial protocol, so it is found only on a port the user
// configuration names, as a real one would be.
func TestBatch1KizunaOnAConfiguredPort(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	user := `{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"kizuna":{"communication":[
	 {"serial":{"port":"/dev/ttyKIZUNA","baud_rate":19200,"data_bits":8,"parity":"N","stop_bits":1}}]}}}}`
	db, err := config.Load(nil, &config.Source{Name: "user.json", Data: []byte(user)})
	if err != nil {
		t.Fatal(err)
	}
	b1Simulate(t, db, db.FindByName("Kizuna Smart"))
}

func b1Simulate(t *testing.T, db *config.DB, defs []*config.Definition) {
	t.Helper()
	sim := simulated.New(db)
	m := device.NewManager(db, []comm.Manager{sim})
	defer m.Close()
	want := map[string]*config.Definition{}
	sims := map[string]*simulated.Device{}
	for _, def := range defs {
		sd, err := sim.AddDefinition(def)
		if err != nil {
			t.Errorf("%s %q: %v", def.Protocol, def.Name, err)
			continue
		}
		want[sd.Address()], sims[sd.Address()] = def, sd
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
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
		if got[addr] == nil {
			t.Fatalf("%s %q did not come up", def.Protocol, def.Name)
		}
	}
	for addr, def := range want {
		d, sd := got[addr], sims[addr]
		t.Run(def.Protocol+"/"+def.Name, func(t *testing.T) {
			if d.Protocol() != def.Protocol || (len(def.Identifiers) > 0 && d.Name() != def.Name) {
				t.Fatalf("came up as %s %q", d.Protocol(), d.Name())
			}
			feature, cmd, ok := b1FirstOutput(d.Definition())
			if !ok {
				t.Fatalf("%q has no output", d.Name())
			}
			before := len(sd.Writes())
			if err := d.Output(ctx, feature, cmd); err != nil {
				t.Fatalf("%s on feature %d: %v", cmd.Type, feature, err)
			}
			// Some protocols write from their own goroutine (stepping
			// machines, strokers), a little later.
			wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
			defer wcancel()
			for len(sd.Writes()) <= before {
				select {
				case <-sd.Changed():
				case <-wctx.Done():
					t.Fatalf("no write after %s on feature %d", cmd.Type, feature)
				}
			}
		})
	}
}

// b1FirstOutput returns a command for the first output of a definition:
// its top value (a position with a duration of 100 ms).
func b1FirstOutput(def *config.Definition) (uint32, protocol.OutputCommand, bool) {
	for _, f := range def.Features {
		for _, o := range f.Outputs {
			if o.Disabled {
				continue
			}
			cmd := protocol.OutputCommand{Type: o.Type, Value: o.Steps().Max()}
			if o.Type == protocol.OutputHwPositionWithDuration {
				cmd.Duration = 100
			}
			return f.Index, cmd, true
		}
	}
	return 0, protocol.OutputCommand{}, false
}
