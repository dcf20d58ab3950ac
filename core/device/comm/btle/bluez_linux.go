package btle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/bphost/bphost/core/device/comm"
)

// D-Bus names of BlueZ (doc/org.bluez.*.rst in the BlueZ tree).
const (
	bluezName       = "org.bluez"
	ifaceAdapter    = "org.bluez.Adapter1"
	ifaceDevice     = "org.bluez.Device1"
	ifaceService    = "org.bluez.GattService1"
	ifaceChar       = "org.bluez.GattCharacteristic1"
	ifaceProps      = "org.freedesktop.DBus.Properties"
	ifaceObjManager = "org.freedesktop.DBus.ObjectManager"
	errAccessDenied = "org.freedesktop.DBus.Error.AccessDenied"
	errUnknownObj   = "org.freedesktop.DBus.Error.UnknownObject"
	errNoSuchObj    = "org.freedesktop.DBus.Error.NoSuchObject" // godbus servers
	errUnknownMeth  = "org.freedesktop.DBus.Error.UnknownMethod"
	errUnknownIface = "org.freedesktop.DBus.Error.UnknownInterface"
	errNotAuth      = "org.bluez.Error.NotAuthorized"
	errInProgress   = "org.bluez.Error.InProgress"
)

// signalBuffer holds signals while the dispatcher works. The connection's
// signal handler is godbus's sequential one, which queues in order behind a
// full channel (the default one spawns a goroutine per signal, and those
// race: a burst of notifications would arrive shuffled).
const signalBuffer = 256

// cleanupTimeout bounds the calls made after a caller's context ended
// (disconnecting a half-made connection, stopping discovery at Close).
const cleanupTimeout = 2 * time.Second

type objects = map[dbus.ObjectPath]map[string]map[string]dbus.Variant

// bluez is the Linux radio: BlueZ over a private system bus connection.
type bluez struct {
	conn    *dbus.Conn
	id      string
	path    dbus.ObjectPath
	adapter dbus.BusObject
	root    dbus.BusObject
	sigs    chan *dbus.Signal
	quit    chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	devices  map[dbus.ObjectPath]map[string]dbus.Variant // Device1 properties
	changed  chan struct{}                               // closed and replaced on every Device1 change
	report   func(comm.Advertisement)
	ended    func(error)
	links    map[dbus.ObjectPath]*bluezLink
	notify   map[dbus.ObjectPath]func([]byte) // characteristic → deliver
	shutdown bool
}

func newRadio(ctx context.Context, o options) (radio, error) {
	conn, err := dbus.ConnectSystemBus(dbus.WithSignalHandler(dbus.NewSequentialSignalHandler()))
	if err != nil {
		return nil, fmt.Errorf("%w: cannot reach the system D-Bus at %s (%v): is dbus running?", ErrUnavailable, systemBusAddress(), err)
	}
	b := &bluez{
		conn:    conn,
		id:      o.adapter,
		path:    dbus.ObjectPath("/org/bluez/" + o.adapter),
		sigs:    make(chan *dbus.Signal, signalBuffer),
		quit:    make(chan struct{}),
		devices: map[dbus.ObjectPath]map[string]dbus.Variant{},
		changed: make(chan struct{}),
		links:   map[dbus.ObjectPath]*bluezLink{},
		notify:  map[dbus.ObjectPath]func([]byte){},
	}
	b.adapter = conn.Object(bluezName, b.path)
	b.root = conn.Object(bluezName, "/")
	if err := b.check(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	conn.Signal(b.sigs)
	for _, opts := range [][]dbus.MatchOption{
		// bluetoothd going away (a restart, a crash) takes every object
		// with it and says nothing else.
		{dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, bluezName)},
		{dbus.WithMatchSender(bluezName), dbus.WithMatchInterface(ifaceObjManager)},
		{dbus.WithMatchSender(bluezName), dbus.WithMatchInterface(ifaceProps), dbus.WithMatchMember("PropertiesChanged"), dbus.WithMatchPathNamespace(b.path)},
	} {
		if err := conn.AddMatchSignalContext(ctx, opts...); err != nil {
			conn.Close()
			return nil, fmt.Errorf("%w: subscribe to BlueZ signals: %v", ErrUnavailable, err)
		}
	}
	// Signals are subscribed before the snapshot, so no change falls between.
	var objs objects
	if err := b.root.CallWithContext(ctx, ifaceObjManager+".GetManagedObjects", 0).Store(&objs); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: list BlueZ objects: %v", ErrUnavailable, err)
	}
	for p, ifs := range objs {
		if props, ok := ifs[ifaceDevice]; ok && b.ours(p) {
			b.devices[p] = props
		}
	}
	b.wg.Add(1)
	go b.dispatch()
	return b, nil
}

func systemBusAddress() string {
	if a := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"); a != "" {
		return a
	}
	return "unix:path=/var/run/dbus/system_bus_socket"
}

// check finds BlueZ and a powered adapter, with an error that says what to
// do when there is none.
func (b *bluez) check(ctx context.Context) error {
	var has bool
	if err := b.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, bluezName).Store(&has); err != nil {
		return fmt.Errorf("%w: ask the system D-Bus for BlueZ: %v", ErrUnavailable, err)
	}
	if !has {
		return fmt.Errorf("%w: BlueZ (org.bluez) is not on the system D-Bus: is bluetoothd running? (systemctl start bluetooth)", ErrUnavailable)
	}
	powered, err := b.powered(ctx)
	switch dbusErrorName(err) {
	case "":
	case errAccessDenied, errNotAuth:
		return fmt.Errorf("%w: D-Bus denied access to BlueZ (%v): add the user to the bluetooth group or allow it in the D-Bus/polkit policy", ErrUnavailable, err)
	case errUnknownObj, errNoSuchObj, errUnknownMeth, errUnknownIface:
		return fmt.Errorf("%w: adapter %s not found: is a Bluetooth adapter plugged in and enabled (rfkill list)? Another one can be named with ble-adapter (bluetoothctl list)", ErrUnavailable, b.id)
	default:
		return fmt.Errorf("%w: ask BlueZ about adapter %s: %v", ErrUnavailable, b.id, err)
	}
	if !powered {
		return fmt.Errorf("%w: adapter %s is powered off: turn it on (bluetoothctl power on)", ErrUnavailable, b.id)
	}
	return nil
}

// powered reads the adapter's Powered property.
func (b *bluez) powered(ctx context.Context) (bool, error) {
	var v dbus.Variant
	if err := b.adapter.CallWithContext(ctx, ifaceProps+".Get", 0, ifaceAdapter, "Powered").Store(&v); err != nil {
		return false, err
	}
	on, _ := v.Value().(bool)
	return on, nil
}

func dbusErrorName(err error) string {
	if err == nil {
		return ""
	}
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name
	}
	var dp *dbus.Error
	if errors.As(err, &dp) {
		return dp.Name
	}
	return "?"
}

// ours reports whether p is a device of our adapter.
func (b *bluez) ours(p dbus.ObjectPath) bool {
	s := string(p)
	return strings.HasPrefix(s, string(b.path)+"/dev_") && !strings.Contains(s[len(b.path)+1:], "/")
}

// dispatch handles every signal in arrival order. It never blocks: that is
// what keeps notifications in order.
func (b *bluez) dispatch() {
	defer b.wg.Done()
	for {
		var sig *dbus.Signal
		select {
		case <-b.quit:
			return
		case s, ok := <-b.sigs:
			if !ok {
				b.busGone()
				return
			}
			sig = s
		}
		switch sig.Name {
		case "org.freedesktop.DBus.NameOwnerChanged":
			var name, from, to string
			if dbus.Store(sig.Body, &name, &from, &to) == nil && name == bluezName && from != "" {
				b.bluezGone(to)
			}
		case ifaceObjManager + ".InterfacesAdded":
			var p dbus.ObjectPath
			var ifs map[string]map[string]dbus.Variant
			if dbus.Store(sig.Body, &p, &ifs) != nil {
				continue
			}
			if props, ok := ifs[ifaceDevice]; ok && b.ours(p) {
				b.deviceChanged(p, props, true)
			}
		case ifaceObjManager + ".InterfacesRemoved":
			var p dbus.ObjectPath
			var ifs []string
			if dbus.Store(sig.Body, &p, &ifs) != nil || !slices.Contains(ifs, ifaceDevice) {
				continue
			}
			b.mu.Lock()
			delete(b.devices, p)
			l := b.links[p]
			b.mu.Unlock()
			if l != nil {
				l.drop()
			}
		case ifaceProps + ".PropertiesChanged":
			var iface string
			var changes map[string]dbus.Variant
			var invalidated []string
			if dbus.Store(sig.Body, &iface, &changes, &invalidated) != nil {
				continue
			}
			switch iface {
			case ifaceDevice:
				b.deviceChanged(sig.Path, changes, false)
			case ifaceChar:
				if v, ok := changes["Value"]; ok {
					b.mu.Lock()
					f := b.notify[sig.Path]
					b.mu.Unlock()
					if data, ok := v.Value().([]byte); ok && f != nil {
						f(data)
					}
				}
			case ifaceAdapter:
				b.adapterChanged(changes)
			}
		}
	}
}

// bluezGone ends every link and the scan when bluetoothd left the bus (or
// was replaced: a new one knows nothing of our connections).
func (b *bluez) bluezGone(newOwner string) {
	b.mu.Lock()
	clear(b.devices)
	b.mu.Unlock()
	why := "bluetoothd left the system bus"
	if newOwner != "" {
		why = "bluetoothd restarted"
	}
	b.endAll(errors.New(why))
}

// busGone ends every link and the scan once the bus connection closed.
func (b *bluez) busGone() { b.endAll(errors.New("the system D-Bus connection closed")) }

// endAll drops every link and ends the scan with why.
func (b *bluez) endAll(why error) {
	b.mu.Lock()
	links := make([]*bluezLink, 0, len(b.links))
	for _, l := range b.links {
		links = append(links, l)
	}
	ended := b.ended
	b.report, b.ended = nil, nil
	b.mu.Unlock()
	for _, l := range links {
		l.drop()
	}
	if ended != nil {
		ended(why)
	}
}

// deviceChanged merges Device1 properties and reports an advertisement when
// the change is one (a new object, or fresh RSSI, name, services or
// manufacturer data), and drops a link whose device disconnected.
func (b *bluez) deviceChanged(p dbus.ObjectPath, changes map[string]dbus.Variant, added bool) {
	b.mu.Lock()
	props := b.devices[p]
	if props == nil {
		if !added && !b.ours(p) {
			b.mu.Unlock()
			return
		}
		props = map[string]dbus.Variant{}
		b.devices[p] = props
	}
	for k, v := range changes {
		props[k] = v
	}
	close(b.changed)
	b.changed = make(chan struct{})
	advertised := added
	for _, k := range []string{"RSSI", "Name", "UUIDs", "ManufacturerData", "ServiceData", "TxPower"} {
		if _, ok := changes[k]; ok {
			advertised = true
		}
	}
	report := b.report
	var adv comm.Advertisement
	if advertised && report != nil {
		adv = advertisement(props)
	}
	l := b.links[p]
	b.mu.Unlock()
	if c, ok := changes["Connected"]; ok && l != nil {
		if on, _ := c.Value().(bool); !on && l.isEstablished() {
			l.drop()
		}
	}
	if report != nil && advertised && adv.Address != "" {
		report(adv)
	}
}

// adapterChanged ends the scan when the adapter is powered off. BlueZ
// keeps discovering for as long as any client asked, so Discovering going
// false says nothing about our scan (it may be the end of our own previous
// one, handled after a new one started).
func (b *bluez) adapterChanged(changes map[string]dbus.Variant) {
	v, ok := changes["Powered"]
	if on, _ := v.Value().(bool); !ok || on {
		return
	}
	b.mu.Lock()
	ended := b.ended
	b.report, b.ended = nil, nil
	b.mu.Unlock()
	if ended != nil {
		ended(fmt.Errorf("adapter %s was powered off", b.id))
	}
}

// advertisement reads Device1 properties; any of them may be absent.
func advertisement(props map[string]dbus.Variant) comm.Advertisement {
	adv := comm.Advertisement{Bus: comm.BusBLE}
	adv.Address, _ = props["Address"].Value().(string)
	adv.Name, _ = props["Name"].Value().(string)
	if uuids, ok := props["UUIDs"].Value().([]string); ok {
		for _, u := range uuids {
			adv.Services = append(adv.Services, strings.ToLower(u))
		}
	}
	if md, ok := props["ManufacturerData"].Value().(map[uint16]dbus.Variant); ok && len(md) > 0 {
		adv.ManufacturerData = map[uint16][]byte{}
		for id, v := range md {
			if data, ok := v.Value().([]byte); ok {
				adv.ManufacturerData[id] = data
			}
		}
	}
	return adv
}

func (b *bluez) startScan(ctx context.Context, report func(comm.Advertisement), ended func(error)) error {
	powered, err := b.powered(ctx)
	if err != nil {
		return b.callError("read adapter state", err)
	}
	if !powered {
		return fmt.Errorf("bluetooth: adapter %s is powered off: turn it on (bluetoothctl power on)", b.id)
	}
	filter := map[string]dbus.Variant{"Transport": dbus.MakeVariant("le")}
	if err := b.adapter.CallWithContext(ctx, ifaceAdapter+".SetDiscoveryFilter", 0, filter).Err; err != nil {
		return b.callError("set the discovery filter", err)
	}
	b.mu.Lock()
	b.report, b.ended = report, ended
	var connected []comm.Advertisement
	for _, props := range b.devices {
		// Devices connected already (by another program, or bonded and
		// reconnected by BlueZ) advertise no more; everything else in
		// BlueZ's cache is reported once it is seen again.
		if on, _ := props["Connected"].Value().(bool); on {
			connected = append(connected, advertisement(props))
		}
	}
	b.mu.Unlock()
	if err := b.adapter.CallWithContext(ctx, ifaceAdapter+".StartDiscovery", 0).Err; err != nil && dbusErrorName(err) != errInProgress {
		b.mu.Lock()
		b.report, b.ended = nil, nil
		b.mu.Unlock()
		return b.callError("start discovery", err)
	}
	for _, adv := range connected {
		report(adv)
	}
	return nil
}

func (b *bluez) stopScan(ctx context.Context) error {
	b.mu.Lock()
	b.report, b.ended = nil, nil
	b.mu.Unlock()
	err := b.adapter.CallWithContext(ctx, ifaceAdapter+".StopDiscovery", 0).Err
	if err != nil && dbusErrorName(err) != "org.bluez.Error.Failed" { // Failed: not discovering
		return b.callError("stop discovery", err)
	}
	return nil
}

// callError words a failed BlueZ call, naming the fix for access errors.
func (b *bluez) callError(what string, err error) error {
	switch dbusErrorName(err) {
	case errAccessDenied, errNotAuth:
		return fmt.Errorf("bluetooth: %s: D-Bus denied access to BlueZ (%v): add the user to the bluetooth group or allow it in the D-Bus/polkit policy", what, err)
	}
	return fmt.Errorf("bluetooth: %s on adapter %s: %w", what, b.id, err)
}

// devicePath is where BlueZ puts the device of a MAC address.
func (b *bluez) devicePath(address string) dbus.ObjectPath {
	return dbus.ObjectPath(string(b.path) + "/dev_" + strings.ReplaceAll(strings.ToUpper(address), ":", "_"))
}

// deviceProp reads a cached boolean Device1 property and the channel
// closed at the next change.
func (b *bluez) deviceProp(p dbus.ObjectPath, name string) (bool, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	on, _ := b.devices[p][name].Value().(bool)
	return on, b.changed
}

func (b *bluez) connect(ctx context.Context, adv comm.Advertisement) (link, error) {
	p := b.devicePath(adv.Address)
	l := &bluezLink{b: b, path: p, obj: b.conn.Object(bluezName, p), adv: adv, gone: make(chan struct{}), chars: map[gattChar]dbus.ObjectPath{}}
	b.mu.Lock()
	if b.shutdown {
		b.mu.Unlock()
		return nil, comm.ErrClosed
	}
	if b.links[p] != nil {
		b.mu.Unlock()
		return nil, fmt.Errorf("bluetooth %s: already connected", describe(adv))
	}
	b.links[p] = l
	b.mu.Unlock()
	if err := l.open(ctx); err != nil {
		l.abandon()
		return nil, err
	}
	return l, nil
}

func (b *bluez) close() error {
	b.mu.Lock()
	if b.shutdown {
		b.mu.Unlock()
		return nil
	}
	b.shutdown = true
	scanning := b.report != nil
	b.report, b.ended = nil, nil
	links := make([]*bluezLink, 0, len(b.links))
	for _, l := range b.links {
		links = append(links, l)
	}
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if scanning {
		_ = b.adapter.CallWithContext(ctx, ifaceAdapter+".StopDiscovery", 0).Err
	}
	for _, l := range links {
		_ = l.disconnect()
	}
	b.conn.RemoveSignal(b.sigs)
	close(b.quit)
	err := b.conn.Close()
	b.wg.Wait()
	return err
}

// bluezLink is one connected device.
type bluezLink struct {
	b     *bluez
	path  dbus.ObjectPath
	obj   dbus.BusObject
	adv   comm.Advertisement
	once  sync.Once
	gone  chan struct{}
	svcs  map[string][]string
	chars map[gattChar]dbus.ObjectPath
	// established is set once open succeeded; before that a Connected=false
	// is the connection attempt failing, which open reports itself.
	mu          sync.Mutex
	established bool
}

// open connects and waits for the GATT services, each step bounded by ctx.
func (l *bluezLink) open(ctx context.Context) error {
	name := describe(l.adv)
	if err := l.obj.CallWithContext(ctx, ifaceDevice+".Connect", 0).Err; err != nil && dbusErrorName(err) != "org.bluez.Error.AlreadyConnected" {
		if ctx.Err() != nil {
			return fmt.Errorf("bluetooth: connect to %s timed out: %w", name, ctx.Err())
		}
		return l.b.callError("connect to "+name, err)
	}
	for {
		resolved, next := l.b.deviceProp(l.path, "ServicesResolved")
		connected, _ := l.b.deviceProp(l.path, "Connected")
		if resolved {
			break
		}
		if !connected {
			// The cache may trail the Connect reply: ask BlueZ.
			var v dbus.Variant
			if err := l.obj.CallWithContext(ctx, ifaceProps+".Get", 0, ifaceDevice, "Connected").Store(&v); err == nil {
				if on, _ := v.Value().(bool); !on {
					return fmt.Errorf("bluetooth %s: %w while resolving services", name, comm.ErrDisconnected)
				}
			}
		}
		select {
		case <-next:
		case <-ctx.Done():
			return fmt.Errorf("bluetooth: service discovery of %s timed out: %w", name, ctx.Err())
		}
	}
	var objs objects
	if err := l.b.root.CallWithContext(ctx, ifaceObjManager+".GetManagedObjects", 0).Store(&objs); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("bluetooth: service discovery of %s timed out: %w", name, ctx.Err())
		}
		return l.b.callError("list the services of "+name, err)
	}
	svcByPath := map[dbus.ObjectPath]string{}
	for p, ifs := range objs {
		if props, ok := ifs[ifaceService]; ok && strings.HasPrefix(string(p), string(l.path)+"/") {
			if u, ok := props["UUID"].Value().(string); ok {
				svcByPath[p] = strings.ToLower(u)
			}
		}
	}
	l.svcs = map[string][]string{}
	for p, ifs := range objs {
		props, ok := ifs[ifaceChar]
		if !ok {
			continue
		}
		svcPath, _ := props["Service"].Value().(dbus.ObjectPath)
		if svcPath == "" {
			svcPath = p[:strings.LastIndex(string(p), "/")]
		}
		svc, ok := svcByPath[svcPath]
		u, uok := props["UUID"].Value().(string)
		if !ok || !uok {
			continue
		}
		c := gattChar{service: svc, char: strings.ToLower(u)}
		l.svcs[svc] = append(l.svcs[svc], c.char)
		l.chars[c] = p
	}
	for _, u := range svcByPath {
		if _, ok := l.svcs[u]; !ok {
			l.svcs[u] = nil
		}
	}
	l.mu.Lock()
	l.established = true
	l.mu.Unlock()
	// A drop between ServicesResolved and now went unnoticed.
	if on, _ := l.b.deviceProp(l.path, "Connected"); !on {
		l.drop()
	}
	return nil
}

// abandon ends a connection attempt that failed or timed out: BlueZ is told
// to drop it (which also cancels a pending Connect) and the link goes away.
func (l *bluezLink) abandon() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	_ = l.obj.CallWithContext(ctx, ifaceDevice+".Disconnect", 0).Err
	l.drop()
}

// drop marks the link gone; it is idempotent.
func (l *bluezLink) drop() {
	l.once.Do(func() {
		l.b.mu.Lock()
		if l.b.links[l.path] == l {
			delete(l.b.links, l.path)
		}
		for _, p := range l.chars {
			delete(l.b.notify, p)
		}
		l.b.mu.Unlock()
		close(l.gone)
	})
}

func (l *bluezLink) isEstablished() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.established
}

func (l *bluezLink) services() map[string][]string { return l.svcs }
func (l *bluezLink) lost() <-chan struct{}         { return l.gone }

func (l *bluezLink) charObj(c gattChar) (dbus.BusObject, error) {
	p, ok := l.chars[c]
	if !ok {
		return nil, fmt.Errorf("characteristic %s of service %s not found", c.char, c.service)
	}
	return l.b.conn.Object(bluezName, p), nil
}

func (l *bluezLink) write(ctx context.Context, c gattChar, data []byte, withResponse bool) error {
	obj, err := l.charObj(c)
	if err != nil {
		return err
	}
	kind := "command"
	if withResponse {
		kind = "request"
	}
	return l.b.wrap(ctx, obj.CallWithContext(ctx, ifaceChar+".WriteValue", 0, data, map[string]dbus.Variant{"type": dbus.MakeVariant(kind)}).Err)
}

func (l *bluezLink) read(ctx context.Context, c gattChar) ([]byte, error) {
	obj, err := l.charObj(c)
	if err != nil {
		return nil, err
	}
	var data []byte
	if err := obj.CallWithContext(ctx, ifaceChar+".ReadValue", 0, map[string]dbus.Variant{}).Store(&data); err != nil {
		return nil, l.b.wrap(ctx, err)
	}
	return data, nil
}

func (l *bluezLink) subscribe(ctx context.Context, c gattChar, deliver func([]byte)) error {
	obj, err := l.charObj(c)
	if err != nil {
		return err
	}
	l.b.mu.Lock()
	l.b.notify[obj.Path()] = deliver
	l.b.mu.Unlock()
	if err := obj.CallWithContext(ctx, ifaceChar+".StartNotify", 0).Err; err != nil && dbusErrorName(err) != errInProgress {
		l.b.mu.Lock()
		delete(l.b.notify, obj.Path())
		l.b.mu.Unlock()
		return l.b.wrap(ctx, err)
	}
	return nil
}

func (l *bluezLink) unsubscribe(ctx context.Context, c gattChar) error {
	obj, err := l.charObj(c)
	if err != nil {
		return err
	}
	l.b.mu.Lock()
	delete(l.b.notify, obj.Path())
	l.b.mu.Unlock()
	return l.b.wrap(ctx, obj.CallWithContext(ctx, ifaceChar+".StopNotify", 0).Err)
}

// disconnect asks BlueZ to drop the link; the link is gone either way.
func (l *bluezLink) disconnect() error {
	select {
	case <-l.gone:
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	err := l.obj.CallWithContext(ctx, ifaceDevice+".Disconnect", 0).Err
	l.drop()
	if err != nil {
		return fmt.Errorf("bluetooth: disconnect %s: %w", describe(l.adv), err)
	}
	return nil
}

// wrap keeps a context's error recognisable when a call was cut short.
func (b *bluez) wrap(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %v", ctx.Err(), err)
	}
	return err
}
