package main

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// Intiface Engine's flags on serve become bphost's; those bphost does not
// have are refused by name.
func TestServeEngineFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    serveConfig
		wantErr []string // all in the usage error; nil: no error
	}{
		{name: "defaults", want: serveConfig{listen: []string{"ws://127.0.0.1:12345"}}},
		{name: "websocket-port", args: []string{"--websocket-port", "23456"}, want: serveConfig{listen: []string{"ws://127.0.0.1:23456"}}},
		{name: "all interfaces", args: []string{"--websocket-port", "23456", "--websocket-use-all-interfaces"}, want: serveConfig{listen: []string{"ws://0.0.0.0:23456"}}},
		{name: "all interfaces, default port", args: []string{"--websocket-use-all-interfaces"}, want: serveConfig{listen: []string{"ws://0.0.0.0:12345"}}},
		{name: "listen and websocket-port", args: []string{"--listen", "tcp://127.0.0.1:1", "--websocket-port", "2"},
			want: serveConfig{listen: []string{"tcp://127.0.0.1:1", "ws://127.0.0.1:2"}}},
		{name: "server-name", args: []string{"--server-name", "My Engine"}, want: serveConfig{listen: []string{"ws://127.0.0.1:12345"}, serverName: "My Engine"}},
		{name: "max-ping-time ms", args: []string{"--max-ping-time", "1500"}, want: serveConfig{listen: []string{"ws://127.0.0.1:12345"}, maxPing: 1500 * time.Millisecond}},
		{name: "max-ping-time duration", args: []string{"--max-ping-time", "2s"}, want: serveConfig{listen: []string{"ws://127.0.0.1:12345"}, maxPing: 2 * time.Second}},
		{name: "log", args: []string{"--log", "DEBUG"}, want: serveConfig{listen: []string{"ws://127.0.0.1:12345"}, logLevel: "DEBUG"}},
		{name: "version", args: []string{"--version"}, want: serveConfig{listen: []string{"ws://127.0.0.1:12345"}, showVersion: true}},
		{name: "server-version", args: []string{"--server-version"}, want: serveConfig{listen: []string{"ws://127.0.0.1:12345"}, showVersion: true}},

		{name: "hid", args: []string{"--use-hid"}, wantErr: []string{"--use-hid is an Intiface Engine flag bphost does not support", "HID"}},
		{name: "several refused", args: []string{"--use-xinput", "--repeater-port", "1", "--broadcast-server-mdns", "--mdns-suffix", "x"},
			wantErr: []string{"--use-xinput", "--repeater-port", "--broadcast-server-mdns", "--mdns-suffix", "mDNS", "repeater"}},
		{name: "lovense", args: []string{"--use-lovense-dongle-serial", "--use-lovense-dongle-hid", "--use-lovense-connect"},
			wantErr: []string{"--use-lovense-dongle-serial", "--use-lovense-dongle-hid", "--use-lovense-connect"}},
		{name: "repeater", args: []string{"--repeater"}, wantErr: []string{"--repeater is an Intiface Engine flag"}},
		{name: "client address", args: []string{"--websocket-client-address", "ws://x"}, wantErr: []string{"--websocket-client-address"}},
		{name: "frontend", args: []string{"--frontend-websocket-port", "1"}, wantErr: []string{"--frontend-websocket-port"}},
		{name: "bad log level", args: []string{"--log", "loud"}, wantErr: []string{`--log "loud"`}},
		{name: "all interfaces with listen", args: []string{"--listen", "ws://127.0.0.1:1", "--websocket-use-all-interfaces"}, wantErr: []string{"--websocket-use-all-interfaces"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sf, err := parseServeFlags(tt.args)
			if err != nil {
				t.Fatalf("parse %v: %v", tt.args, err)
			}
			got, err := sf.resolve()
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, config %+v", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.listen, tt.want.listen) || got.maxPing != tt.want.maxPing || got.serverName != tt.want.serverName ||
				got.logLevel != tt.want.logLevel || got.showVersion != tt.want.showVersion {
				t.Fatalf("config %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Bad values of the Engine's flags fail the parse with the reason.
func TestServeEngineFlagValues(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--websocket-port", "0"}, "not a port"},
		{[]string{"--websocket-port", "70000"}, "not a port"},
		{[]string{"--max-ping-time", "soon"}, "neither milliseconds"},
		{[]string{"--max-ping-time", "-1s"}, "negative"},
	} {
		_, err := parseServeFlags(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
		}
	}
}

// Every flag the Engine refuses is in README's table, and help lists none
// of them.
func TestRefusedFlagsHidden(t *testing.T) {
	r := runApp(t, newLauncher(t), "help", "serve")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for name := range refusedEngineFlags {
		if strings.Contains(r.stdout, "-"+name+" ") || strings.Contains(r.stdout, "-"+name+"\n") {
			t.Errorf("help lists refused flag --%s", name)
		}
	}
	for _, want := range []string{"-websocket-port", "-server-name", "-device-config-file", "-max-ping-time"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %s", want)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "### Coming from Intiface Engine")
	table, _, _ = strings.Cut(table, "\n### ")
	engine := []string{"version", "server-version", "websocket-port", "websocket-use-all-interfaces", "server-name", "max-ping-time",
		"device-config-file", "user-device-config-file", "log", "use-bluetooth-le", "use-serial", "rest-api-port"}
	for name := range refusedEngineFlags {
		engine = append(engine, name)
	}
	for _, name := range engine {
		if !strings.Contains(table, "`--"+name+"`") && !strings.Contains(table, "`--"+name+" ") {
			t.Errorf("README's Intiface Engine table lacks --%s", name)
		}
	}
}

// The device websocket server listens on loopback, on every interface only
// when --websocket-use-all-interfaces is given (the Engine always does).
func TestServeDeviceWebsocketAddr(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "127.0.0.1:54817"},
		{[]string{"--use-device-websocket-server"}, "127.0.0.1:54817"},
		{[]string{"--device-websocket-server-port", "60001"}, "127.0.0.1:60001"},
		{[]string{"--websocket-use-all-interfaces"}, "0.0.0.0:54817"},
		{[]string{"--websocket-port", "23456", "--websocket-use-all-interfaces", "--device-websocket-server-port", "60002"}, "0.0.0.0:60002"},
	} {
		sf, err := parseServeFlags(tt.args)
		if err != nil {
			t.Fatalf("parse %v: %v", tt.args, err)
		}
		if _, err := sf.resolve(); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if got := sf.deviceWebsocketAddr(); got != tt.want {
			t.Errorf("%v: device websocket server on %s, want %s", tt.args, got, tt.want)
		}
	}
}

// parseServeFlags parses args as serve's command line.
func parseServeFlags(args []string) (*serveFlags, error) {
	var g globals
	fs := newFlagSet("serve", &g)
	sf := new(serveFlags)
	sf.register(fs)
	return sf, parseFlags(fs, &g, args)
}
