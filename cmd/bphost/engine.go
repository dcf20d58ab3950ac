package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bphost/bphost/core/device/comm/btle"
	"github.com/bphost/bphost/core/device/comm/wsdevice"
	"github.com/bphost/bphost/core/server/listen"
)

// serveFlags are the flags of `bphost serve`: bphost's own and Intiface
// Engine's (intiface-engine 4), with the Engine's meanings, so a command
// line written for the Engine runs. README "Coming from Intiface Engine"
// maps every Engine flag.
type serveFlags struct {
	listen     listFlag
	devConfig  string
	userConfig string
	maxPing    pingFlag
	useBLE     bool
	bleAdapter string
	useSerial  bool
	useDevWS   bool
	devWSPort  portFlag
	httpAddr   string
	restPort   int
	// allowOrigins are the browser origins let into ws:// listeners;
	// none: any origin, as Intiface.
	allowOrigins listFlag
	// logWrites prints a line per write to a simulated device.
	logWrites bool

	// The Engine's own.
	wsPort        portFlag
	wsAllIfaces   bool
	serverName    string
	log           string
	version       bool
	serverVersion bool

	// refused collects the Engine flags bphost does not have that were
	// given, for one message naming them all.
	refused *[]string
}

// refusedEngineFlags are the Engine's flags that bphost does not support,
// with what is missing. They are accepted by the parser only to be refused
// with this message, never silently ignored.
var refusedEngineFlags = map[string]struct {
	takesValue bool
	why        string
}{
	"websocket-client-address":  {true, "bphost serve does not connect out to a websocket client"},
	"frontend-websocket-port":   {true, "there is no Intiface Central frontend protocol"},
	"use-hid":                   {false, "there is no HID backend"},
	"use-lovense-dongle-serial": {false, "there is no Lovense dongle backend"},
	"use-lovense-dongle-hid":    {false, "there is no Lovense dongle backend"},
	"use-xinput":                {false, "there is no XInput gamepad backend"},
	"use-lovense-connect":       {false, "there is no Lovense Connect backend"},
	"broadcast-server-mdns":     {false, "there is no mDNS advertising"},
	"mdns-suffix":               {true, "there is no mDNS advertising"},
	"repeater":                  {false, "there is no repeater mode"},
	"repeater-port":             {true, "there is no repeater mode"},
	"crash-main-thread":         {false, "it is a debug flag of the Engine"},
	"crash-task-thread":         {false, "it is a debug flag of the Engine"},
}

func (s *serveFlags) register(fs *flag.FlagSet) {
	fs.Var(&s.listen, "listen", "`URL` to serve: ws://host:port, tcp://host:port or unix:///path (repeatable; default "+listen.DefaultWebsocketURL+")")
	fs.StringVar(&s.devConfig, "device-config", "", "device configuration `file` (default: the built-in official one)")
	fs.StringVar(&s.devConfig, "device-config-file", "", "the Engine's name of --device-config")
	fs.StringVar(&s.userConfig, "user-device-config", "", "user device configuration `file` that adds or overrides devices")
	fs.StringVar(&s.userConfig, "user-device-config-file", "", "the Engine's name of --user-device-config")
	fs.Var(&s.maxPing, "max-ping-time", "drop clients that do not ping within this `time`: milliseconds as the Engine (1000), or a Go duration (1s); 0: no ping needed")
	fs.BoolVar(&s.useBLE, "use-bluetooth-le", true, "find and drive Bluetooth LE toys (BlueZ on Linux); --use-bluetooth-le=false turns it off")
	fs.StringVar(&s.bleAdapter, "ble-adapter", btle.DefaultAdapter, "Bluetooth `adapter` to use (Linux)")
	fs.BoolVar(&s.useSerial, "use-serial", false, "drive serial devices on the ports the user device config names")
	fs.BoolVar(&s.useDevWS, "use-device-websocket-server", false, "accept devices that dial in over websocket (DIY firmware, bridges), named by the user device config")
	fs.Var(&s.devWSPort, "device-websocket-server-port", "`port` of the device websocket server (default 54817; loopback unless --websocket-use-all-interfaces)")
	fs.Var(&s.allowOrigins, "allow-origin", "let browser pages from this `origin` use ws:// listeners: https://app.example.com, app.example.com or *.example.com (repeatable; default: any origin, as Intiface)")
	fs.BoolVar(&s.logWrites, "log-writes", true, "print a line for every write to a simulated device; --log-writes=false keeps a busy client's commands off the output")
	fs.StringVar(&s.httpAddr, "http", "", "serve the control panel and the REST API on `host:port` (a bare port binds 127.0.0.1)")
	fs.IntVar(&s.restPort, "rest-api-port", 0, "the REST API and panel on 127.0.0.1:`port` (Intiface Engine's flag; same as --http)")
	fs.Var(&s.wsPort, "websocket-port", "serve websockets on this `port` of 127.0.0.1 (the Engine's flag: --listen ws://127.0.0.1:PORT)")
	fs.BoolVar(&s.wsAllIfaces, "websocket-use-all-interfaces", false, "the websocket listener of --websocket-port (or the default one) listens on every interface, not only loopback")
	fs.StringVar(&s.serverName, "server-name", "", "server `name` clients see (default \"bphost\")")
	fs.StringVar(&s.log, "log", "", "log `level` (the Engine's flag; same as --log-level)")
	fs.BoolVar(&s.version, "version", false, "print the version and exit")
	fs.BoolVar(&s.serverVersion, "server-version", false, "print the version and exit (as --version)")
	s.refused = new([]string)
	for name, r := range refusedEngineFlags {
		fs.Var(&refusedFlag{name: name, takesValue: r.takesValue, given: s.refused}, name, hiddenUsage)
	}
}

// deviceWebsocketAddr is where the device websocket server listens:
// loopback unless --websocket-use-all-interfaces (the Engine always uses
// every interface).
func (s *serveFlags) deviceWebsocketAddr() string {
	host, port := "127.0.0.1", strconv.Itoa(wsdevice.DefaultPort)
	if s.wsAllIfaces {
		host = "0.0.0.0"
	}
	if s.devWSPort.set {
		port = strconv.Itoa(int(s.devWSPort.port))
	}
	return net.JoinHostPort(host, port)
}

// serveConfig is what serve runs with once the flags are resolved.
type serveConfig struct {
	listen     []string
	maxPing    time.Duration
	serverName string
	// logLevel is --log's level, "" when not given.
	logLevel    string
	showVersion bool
}

// resolve checks the flags and turns the Engine's into bphost's.
func (s *serveFlags) resolve() (serveConfig, error) {
	var c serveConfig
	if len(*s.refused) > 0 {
		sort.Strings(*s.refused)
		var msgs []string
		for _, name := range *s.refused {
			msgs = append(msgs, fmt.Sprintf("--%s is an Intiface Engine flag bphost does not support (%s)", name, refusedEngineFlags[name].why))
		}
		return c, usageError("serve: %s", strings.Join(msgs, "; "))
	}
	c.showVersion = s.version || s.serverVersion
	c.listen = append(c.listen, s.listen...)
	host := "127.0.0.1"
	if s.wsAllIfaces {
		host = "0.0.0.0"
	}
	switch {
	case s.wsPort.set:
		c.listen = append(c.listen, "ws://"+net.JoinHostPort(host, strconv.Itoa(int(s.wsPort.port))))
	case len(c.listen) == 0:
		u := listen.DefaultWebsocketURL
		if s.wsAllIfaces {
			u = strings.Replace(u, "127.0.0.1", host, 1)
		}
		c.listen = append(c.listen, u)
	case s.wsAllIfaces:
		return c, usageError("serve: --websocket-use-all-interfaces applies to --websocket-port or the default listener; give --listen ws://0.0.0.0:PORT instead")
	}
	c.maxPing = s.maxPing.d
	c.serverName = s.serverName
	if s.log != "" {
		if _, err := parseLevel(s.log); err != nil {
			return c, usageError("serve: --log %q is not one of trace, debug, info, warn, error, off", s.log)
		}
		c.logLevel = s.log
	}
	return c, nil
}

// hiddenUsage marks flags that help does not list.
const hiddenUsage = "\x00hidden"

// refusedFlag is an Engine flag bphost does not have: giving it records
// the name, and serve refuses to run.
type refusedFlag struct {
	name       string
	takesValue bool
	given      *[]string
}

func (f *refusedFlag) String() string   { return "" }
func (f *refusedFlag) IsBoolFlag() bool { return f != nil && !f.takesValue }

func (f *refusedFlag) Set(string) error {
	for _, n := range *f.given {
		if n == f.name {
			return nil
		}
	}
	*f.given = append(*f.given, f.name)
	return nil
}

// pingFlag is --max-ping-time: whole milliseconds, as the Engine takes it,
// or a Go duration.
type pingFlag struct{ d time.Duration }

func (p *pingFlag) String() string {
	if p == nil {
		return "0"
	}
	return p.d.String()
}

func (p *pingFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseUint(s, 10, 32); err == nil {
		p.d = time.Duration(ms) * time.Millisecond
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is neither milliseconds (1000) nor a duration (1s)", s)
	}
	if d < 0 {
		return errors.New("must not be negative")
	}
	p.d = d
	return nil
}

// portFlag is a TCP port number, 1 to 65535.
type portFlag struct {
	port uint16
	set  bool
}

func (p *portFlag) String() string {
	if p == nil || !p.set {
		return ""
	}
	return strconv.Itoa(int(p.port))
}

func (p *portFlag) Set(s string) error {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
	if err != nil || n == 0 {
		return fmt.Errorf("%q is not a port (1 to 65535)", s)
	}
	p.port, p.set = uint16(n), true
	return nil
}
