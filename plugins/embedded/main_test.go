package main

import (
	"os"
	"testing"
)

// TestMain keeps every test off the machine's real system bus: the plugin
// opens Bluetooth LE by default, and its BLE tests bring their own bus.
func TestMain(m *testing.M) {
	os.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bphost-test-no-system-bus")
	os.Exit(m.Run())
}
