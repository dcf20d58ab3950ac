package main

import (
	"os"
	"testing"
)

// TestMain keeps every test off the machine's real system bus: the plugin
// opens Bluetooth LE by default, and its BLE tests bring their own bus.
// With hostHelperEnv set, the test binary is a host process instead (see
// hostHelper).
func TestMain(m *testing.M) {
	if os.Getenv(hostHelperEnv) != "" {
		os.Exit(hostHelper())
	}
	os.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bphost-test-no-system-bus")
	os.Exit(m.Run())
}
