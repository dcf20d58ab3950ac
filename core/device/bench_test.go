package device_test

import (
	"context"
	"testing"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
)

// benchDevice brings up one simulated device of the named model.
func benchDevice(b *testing.B, name string) *device.Device {
	db, err := config.Default()
	if err != nil {
		b.Fatal(err)
	}
	sim := simulated.New(db)
	if _, err := sim.Add(name); err != nil {
		b.Fatal(err)
	}
	m := device.NewManager(db, []comm.Manager{sim})
	b.Cleanup(func() { _ = m.Close() })
	if err := m.StartScanning(context.Background()); err != nil {
		b.Fatal(err)
	}
	for e := range m.Events() {
		if e.Kind == device.DeviceAdded {
			return e.Device
		}
	}
	b.Fatal("no device")
	return nil
}

// BenchmarkOutput measures one output command from call to recorded write,
// for a per-feature protocol (Lovense) and one that packs every motor
// (Satisfyer, also under keepalive).
func BenchmarkOutput(b *testing.B) {
	for _, name := range []string{"Lovense Edge", "Satisfyer Double Desire"} {
		b.Run(name, func(b *testing.B) {
			d := benchDevice(b, name)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := d.Output(ctx, 0, vib(int32(1+i%10))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
