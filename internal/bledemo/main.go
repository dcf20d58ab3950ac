// Command bledemo shows bphost reaching a Bluetooth LE toy over the real
// BlueZ D-Bus path, with no radio: it starts a private dbus-daemon with a
// BlueZ stand-in (package fakebluez) that presents a simulated Lovense Hush
// as a peripheral, points bin/bphost at that bus, and prints what the toy
// receives while bphost scans, vibrates it and reads its battery.
//
// Run it with `make demo-ble` (which builds bin/ first).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm/btle/fakebluez"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
)

func main() {
	bin := flag.String("bin", "bin", "folder with bphost and plugins/")
	toy := flag.String("toy", "Lovense Hush", "device of the configuration to present over Bluetooth LE")
	flag.Parse()
	if err := run(*bin, *toy); err != nil {
		fmt.Fprintln(os.Stderr, "demo-ble:", err)
		os.Exit(1)
	}
}

func run(bin, toy string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bus, err := fakebluez.StartBus(ctx)
	if err != nil {
		return err
	}
	defer bus.Close()
	z, err := fakebluez.New(bus.Address())
	if err != nil {
		return err
	}
	defer z.Close()
	db, err := config.Default()
	if err != nil {
		return err
	}
	sim := simulated.New(db)
	defer sim.Close()
	sd, err := sim.Add(toy)
	if err != nil {
		return err
	}
	def := sd.Definition()
	fd, err := z.AddSimulated(sd, db.BLEServices(def.Protocol))
	if err != nil {
		return err
	}
	adv := sd.Advertisement()
	addr, _, _ := strings.Cut(bus.Address(), ",")
	fmt.Printf("1. BlueZ    a stand-in owns org.bluez on a private bus (%s), adapter hci0\n", addr)
	advertised := fmt.Sprint(adv.Services)
	if len(adv.Services) > 2 {
		advertised = fmt.Sprintf("%s and %d more", adv.Services[0], len(adv.Services)-1)
	}
	fmt.Printf("            peripheral %s (%s): advertises %q, services %s\n", fd.Address(), toy, adv.Name, advertised)

	var mu sync.Mutex
	sd.OnRecord(func(r simulated.Record) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf("              toy <- %s\n", r)
	})
	env := append(os.Environ(), "DBUS_SYSTEM_BUS_ADDRESS="+bus.Address(), "BPHOST_CONFIG=")
	bphost := filepath.Join(bin, "bphost")
	steps := []struct {
		title string
		args  []string
	}{
		{"2. scan", []string{"devices", "--scan", "2s"}},
		{"3. vibrate", []string{"vibrate", "--device", "0", "--level", "0.5", "--duration", "500ms"}},
		{"4. battery", []string{"battery", "--device", "0"}},
	}
	for _, s := range steps {
		fmt.Printf("%-11s bphost %s   (embedded plugin, Bluetooth LE through D-Bus)\n", s.title, strings.Join(s.args, " "))
		cmd := exec.CommandContext(ctx, bphost, s.args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		mu.Lock()
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			fmt.Printf("            | %s\n", l)
		}
		mu.Unlock()
		if err != nil {
			return fmt.Errorf("bphost %s: %w", strings.Join(s.args, " "), err)
		}
	}
	fmt.Println("done: each command connected over D-Bus, and the toy was stopped when it left")
	return nil
}
