package fakebluez

import (
	"fmt"
	"sort"
	"strings"

	"github.com/godbus/dbus/v5"
)

// D-Bus names the stand-in serves.
const (
	busName = "org.bluez"

	ifaceAdapter        = "org.bluez.Adapter1"
	ifaceDevice         = "org.bluez.Device1"
	ifaceService        = "org.bluez.GattService1"
	ifaceChar           = "org.bluez.GattCharacteristic1"
	ifaceProperties     = "org.freedesktop.DBus.Properties"
	ifaceIntrospectable = "org.freedesktop.DBus.Introspectable"
	ifaceObjectManager  = "org.freedesktop.DBus.ObjectManager"
)

// Errors BlueZ answers with (src/error.c).
func errFailed(msg string) *dbus.Error {
	return dbus.NewError("org.bluez.Error.Failed", []any{msg})
}

func errNotReady() *dbus.Error {
	return dbus.NewError("org.bluez.Error.NotReady", []any{"Resource Not Ready"})
}

func errInProgress(msg string) *dbus.Error {
	return dbus.NewError("org.bluez.Error.InProgress", []any{msg})
}

func errNotSupported(msg string) *dbus.Error {
	return dbus.NewError("org.bluez.Error.NotSupported", []any{msg})
}

func errNotPermitted(msg string) *dbus.Error {
	return dbus.NewError("org.bluez.Error.NotPermitted", []any{msg})
}

func errInvalidArguments(msg string) *dbus.Error {
	return dbus.NewError("org.bluez.Error.InvalidArguments", []any{msg})
}

func errDoesNotExist() *dbus.Error {
	return dbus.NewError("org.bluez.Error.DoesNotExist", []any{"Does Not Exist"})
}

func errInvalidArgs(msg string) *dbus.Error {
	return dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{msg})
}

// errUnknownObject is libdbus's answer for a path nothing is exported at
// (godbus's own is NoSuchObject, which clients such as tinygo's do not
// expect).
func errUnknownObject(path dbus.ObjectPath) *dbus.Error {
	return dbus.NewError("org.freedesktop.DBus.Error.UnknownObject", []any{fmt.Sprintf("No such object path '%s'", path)})
}

// Call is one method call the stand-in received.
type Call struct {
	// Sender is the caller's unique bus name.
	Sender string
	// Path, Interface and Member are the call's headers; Interface is ""
	// when the caller left it out.
	Path      dbus.ObjectPath
	Interface string
	Member    string
	// Args are the decoded arguments: a{sv} is a map[string]dbus.Variant,
	// ay a []byte.
	Args []any
}

// String renders the call for test failures:
// "org.bluez.Adapter1.SetDiscoveryFilter /org/bluez/hci0 [map[Transport:"le"]]".
func (c Call) String() string {
	return fmt.Sprintf("%s.%s %s %v", c.Interface, c.Member, c.Path, c.Args)
}

// record notes a method call as it arrives; godbus calls it from the
// goroutine reading the connection, so Calls has the order of arrival, and
// calls that fail before any method runs (unknown object, wrong
// signature) are there too.
func (z *BlueZ) record(msg *dbus.Message) {
	if msg.Type != dbus.TypeMethodCall {
		return
	}
	c := Call{Args: msg.Body}
	c.Sender, _ = msg.Headers[dbus.FieldSender].Value().(string)
	c.Path, _ = msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	c.Interface, _ = msg.Headers[dbus.FieldInterface].Value().(string)
	c.Member, _ = msg.Headers[dbus.FieldMember].Value().(string)
	z.mu.Lock()
	z.calls = append(z.calls, c)
	z.mu.Unlock()
}

// node is an exported object: the root, the adapter, a device, a GATT
// service or a characteristic.
type node interface {
	// ifaces lists the node's interfaces, the standard ones included.
	ifaces() []string
	// props returns the properties of one of the node's interfaces; z.mu
	// is held.
	props(iface string) map[string]dbus.Variant
	// set changes a property listed in writable; z.mu is not held.
	set(iface, name string, v dbus.Variant) *dbus.Error
}

// writable lists the properties clients may Set.
var writable = map[string][]string{
	ifaceAdapter: {"Alias", "Discoverable", "Pairable", "Powered"},
	ifaceDevice:  {"Alias", "Blocked", "Trusted"},
}

func isWritable(iface, name string) bool {
	for _, n := range writable[iface] {
		if n == name {
			return true
		}
	}
	return false
}

// methodSpec is one method of an interface: its argument and result types
// and its implementation, which runs in the goroutine godbus gives the
// call and may block.
type methodSpec struct {
	in, out []string
	fn      func(z *BlueZ, n node, c Call) ([]any, *dbus.Error)
}

// signals lists the signals of interfaces, for introspection.
var signals = map[string]map[string][]string{
	ifaceProperties:    {"PropertiesChanged": {"s", "a{sv}", "as"}},
	ifaceObjectManager: {"InterfacesAdded": {"o", "a{sa{sv}}"}, "InterfacesRemoved": {"o", "as"}},
}

// methods is every interface's method table; it is filled in init because
// Introspect reads it.
var methods map[string]map[string]methodSpec

func init() {
	methods = map[string]map[string]methodSpec{
		ifaceIntrospectable: {
			"Introspect": {out: []string{"s"}, fn: (*BlueZ).introspect},
		},
		ifaceProperties: {
			"Get":    {in: []string{"s", "s"}, out: []string{"v"}, fn: (*BlueZ).propGet},
			"GetAll": {in: []string{"s"}, out: []string{"a{sv}"}, fn: (*BlueZ).propGetAll},
			"Set":    {in: []string{"s", "s", "v"}, fn: (*BlueZ).propSet},
		},
		ifaceObjectManager: {
			"GetManagedObjects": {out: []string{"a{oa{sa{sv}}}"}, fn: (*BlueZ).getManagedObjects},
		},
		ifaceAdapter: {
			"SetDiscoveryFilter":  {in: []string{"a{sv}"}, fn: (*BlueZ).setDiscoveryFilter},
			"GetDiscoveryFilters": {out: []string{"as"}, fn: (*BlueZ).getDiscoveryFilters},
			"StartDiscovery":      {fn: (*BlueZ).startDiscovery},
			"StopDiscovery":       {fn: (*BlueZ).stopDiscovery},
			"RemoveDevice":        {in: []string{"o"}, fn: (*BlueZ).removeDevice},
		},
		ifaceDevice: {
			"Connect":       {fn: (*BlueZ).deviceConnect},
			"Disconnect":    {fn: (*BlueZ).deviceDisconnect},
			"Pair":          {fn: (*BlueZ).devicePair},
			"CancelPairing": {fn: (*BlueZ).deviceCancelPairing},
		},
		ifaceService: {},
		ifaceChar: {
			"ReadValue":   {in: []string{"a{sv}"}, out: []string{"ay"}, fn: (*BlueZ).charRead},
			"WriteValue":  {in: []string{"ay", "a{sv}"}, fn: (*BlueZ).charWrite},
			"StartNotify": {fn: (*BlueZ).charStartNotify},
			"StopNotify":  {fn: (*BlueZ).charStopNotify},
		},
	}
}

// router is the godbus handler: it looks calls up in the BlueZ's own
// object table. Unknown paths get an object whose every method answers
// UnknownObject, since godbus answers a failed lookup with NoSuchObject.
type router struct{ z *BlueZ }

func (r router) LookupObject(path dbus.ObjectPath) (dbus.ServerObject, bool) {
	z := r.z
	z.mu.Lock()
	defer z.mu.Unlock()
	if n, ok := z.objects[path]; ok {
		return serverObject{z: z, path: path, ifaces: n.ifaces()}, true
	}
	// A path above exported objects is introspectable, so tools can walk
	// the tree.
	if len(z.children(path)) > 0 {
		return serverObject{z: z, path: path, ifaces: []string{ifaceIntrospectable}}, true
	}
	return serverObject{z: z, path: path, missing: true}, true
}

type serverObject struct {
	z       *BlueZ
	path    dbus.ObjectPath
	ifaces  []string
	missing bool
}

func (o serverObject) LookupInterface(name string) (dbus.Interface, bool) {
	if name == "" || o.missing {
		// Calls without an interface are dispatched by member name.
		return serverIface{o: o}, true
	}
	for _, i := range o.ifaces {
		if i == name {
			return serverIface{o: o, name: name}, true
		}
	}
	return nil, false
}

type serverIface struct {
	o    serverObject
	name string
}

func (i serverIface) LookupMethod(member string) (dbus.Method, bool) {
	if i.o.missing {
		return &serverMethod{o: i.o, iface: i.name, member: member}, true
	}
	names := []string{i.name}
	if i.name == "" {
		names = i.o.ifaces
	}
	for _, n := range names {
		if spec, ok := methods[n][member]; ok {
			return &serverMethod{o: i.o, iface: n, member: member, spec: spec}, true
		}
	}
	return nil, false
}

// serverMethod decodes its own arguments (godbus then passes them to Call
// as they are), so Call sees the sender and the raw body.
type serverMethod struct {
	o      serverObject
	iface  string
	member string
	spec   methodSpec
}

type callArgs struct {
	sender  string
	body    []any
	serial  uint32 // the call's, which its reply names
	noReply bool   // the caller asked for no reply
}

var _ dbus.ArgumentDecoder = (*serverMethod)(nil)

func (m *serverMethod) DecodeArguments(_ *dbus.Conn, sender string, msg *dbus.Message, body []any) ([]any, error) {
	if m.o.missing {
		return nil, errUnknownObject(m.o.path)
	}
	var sig string
	if v, ok := msg.Headers[dbus.FieldSignature]; ok {
		if s, ok := v.Value().(dbus.Signature); ok {
			sig = s.String()
		}
	}
	if want := strings.Join(m.spec.in, ""); sig != want {
		return nil, errInvalidArgs(fmt.Sprintf("%s.%s takes (%s), not (%s)", m.iface, m.member, want, sig))
	}
	return []any{callArgs{sender: sender, body: body, serial: msg.Serial(), noReply: msg.Flags&dbus.FlagNoReplyExpected != 0}}, nil
}

func (m *serverMethod) Call(args ...any) ([]any, error) {
	a := args[0].(callArgs)
	c := Call{Sender: a.sender, Path: m.o.path, Interface: m.iface, Member: m.member, Args: a.body}
	z := m.o.z
	z.mu.Lock()
	if z.closed {
		z.mu.Unlock()
		return nil, errFailed("BlueZ stand-in closed")
	}
	n, ok := z.objects[m.o.path]
	if !ok && m.iface != ifaceIntrospectable {
		// The object went away since godbus looked it up.
		z.mu.Unlock()
		return nil, errUnknownObject(m.o.path)
	}
	// Close waits for calls in flight, so none outlives the stand-in.
	z.inflight.Add(1)
	z.answers.expect(a.serial)
	z.mu.Unlock()
	defer z.inflight.Done()
	out, err := m.spec.fn(z, n, c)
	if err != nil {
		return nil, err // godbus sends errors whatever the flags
	}
	if a.noReply {
		z.answers.forget(a.serial)
	}
	return out, nil
}

// godbus asks these only of methods without an ArgumentDecoder.
func (m *serverMethod) NumArguments() int     { return 0 }
func (m *serverMethod) NumReturns() int       { return len(m.spec.out) }
func (m *serverMethod) ArgumentValue(int) any { return nil }
func (m *serverMethod) ReturnValue(int) any   { return nil }

func variants(m map[string]any) map[string]dbus.Variant {
	out := make(map[string]dbus.Variant, len(m))
	for k, v := range m {
		out[k] = dbus.MakeVariant(v)
	}
	return out
}

// children returns the names of the path elements right below path that
// lead to exported objects; z.mu is held.
func (z *BlueZ) children(path dbus.ObjectPath) []string {
	prefix := string(path) + "/"
	if path == "/" {
		prefix = "/"
	}
	seen := map[string]bool{}
	for p := range z.objects {
		if rest, ok := strings.CutPrefix(string(p), prefix); ok && rest != "" {
			name, _, _ := strings.Cut(rest, "/")
			seen[name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (z *BlueZ) introspect(n node, c Call) ([]any, *dbus.Error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">` + "\n<node>\n")
	ifaces := []string{ifaceIntrospectable}
	if n != nil {
		ifaces = n.ifaces()
	}
	for _, iface := range ifaces {
		fmt.Fprintf(&b, "  <interface name=%q>\n", iface)
		for _, name := range sortedKeys(methods[iface]) {
			spec := methods[iface][name]
			fmt.Fprintf(&b, "    <method name=%q>\n", name)
			for _, t := range spec.in {
				fmt.Fprintf(&b, "      <arg type=%q direction=\"in\"/>\n", t)
			}
			for _, t := range spec.out {
				fmt.Fprintf(&b, "      <arg type=%q direction=\"out\"/>\n", t)
			}
			b.WriteString("    </method>\n")
		}
		for _, name := range sortedKeys(signals[iface]) {
			fmt.Fprintf(&b, "    <signal name=%q>\n", name)
			for _, t := range signals[iface][name] {
				fmt.Fprintf(&b, "      <arg type=%q/>\n", t)
			}
			b.WriteString("    </signal>\n")
		}
		if n != nil {
			props := n.props(iface)
			for _, name := range sortedKeys(props) {
				access := "read"
				if isWritable(iface, name) {
					access = "readwrite"
				}
				fmt.Fprintf(&b, "    <property name=%q type=%q access=%q/>\n", name, props[name].Signature().String(), access)
			}
		}
		b.WriteString("  </interface>\n")
	}
	for _, child := range z.children(c.Path) {
		fmt.Fprintf(&b, "  <node name=%q/>\n", child)
	}
	b.WriteString("</node>\n")
	return []any{b.String()}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (z *BlueZ) propGet(n node, c Call) ([]any, *dbus.Error) {
	iface, name := c.Args[0].(string), c.Args[1].(string)
	z.mu.Lock()
	defer z.mu.Unlock()
	props, err := z.propsOf(n, iface)
	if err != nil {
		return nil, err
	}
	v, ok := props[name]
	if !ok {
		return nil, errInvalidArgs(fmt.Sprintf("No such property '%s'", name))
	}
	return []any{v}, nil
}

func (z *BlueZ) propGetAll(n node, c Call) ([]any, *dbus.Error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	props, err := z.propsOf(n, c.Args[0].(string))
	if err != nil {
		return nil, err
	}
	return []any{props}, nil
}

func (z *BlueZ) propSet(n node, c Call) ([]any, *dbus.Error) {
	iface, name, v := c.Args[0].(string), c.Args[1].(string), c.Args[2].(dbus.Variant)
	z.mu.Lock()
	props, err := z.propsOf(n, iface)
	var cur dbus.Variant
	var ok bool
	if err == nil {
		cur, ok = props[name]
	}
	z.mu.Unlock()
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, errInvalidArgs(fmt.Sprintf("No such property '%s'", name))
	case !isWritable(iface, name):
		return nil, dbus.NewError("org.freedesktop.DBus.Error.PropertyReadOnly", []any{fmt.Sprintf("Property '%s' is not writable", name)})
	case cur.Signature() != v.Signature():
		return nil, errInvalidArgs(fmt.Sprintf("Property '%s' is %s, not %s", name, cur.Signature(), v.Signature()))
	}
	if err := n.set(iface, name, v); err != nil {
		return nil, err
	}
	return nil, nil
}

// propsOf returns the properties of iface on n; z.mu is held.
func (z *BlueZ) propsOf(n node, iface string) (map[string]dbus.Variant, *dbus.Error) {
	for _, i := range n.ifaces() {
		if i == iface {
			return n.props(iface), nil
		}
	}
	return nil, errInvalidArgs(fmt.Sprintf("No such interface '%s'", iface))
}

// managed returns what ObjectManager reports of n; z.mu is held.
func managed(n node) map[string]map[string]dbus.Variant {
	out := map[string]map[string]dbus.Variant{}
	for _, i := range n.ifaces() {
		if i == ifaceObjectManager {
			continue
		}
		out[i] = n.props(i)
	}
	return out
}

func (z *BlueZ) getManagedObjects(_ node, _ Call) ([]any, *dbus.Error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	out := map[dbus.ObjectPath]map[string]map[string]dbus.Variant{}
	for p, n := range z.objects {
		if p == "/" {
			continue
		}
		out[p] = managed(n)
	}
	return []any{out}, nil
}

// export adds an object and announces it; z.mu is held.
func (z *BlueZ) export(path dbus.ObjectPath, n node) {
	z.objects[path] = n
	z.emit("/", ifaceObjectManager+".InterfacesAdded", path, managed(n))
}

// unexport removes an object and announces it; z.mu is held.
func (z *BlueZ) unexport(path dbus.ObjectPath) {
	n, ok := z.objects[path]
	if !ok {
		return
	}
	delete(z.objects, path)
	var ifaces []string
	for _, i := range n.ifaces() {
		if i != ifaceObjectManager {
			ifaces = append(ifaces, i)
		}
	}
	z.emit("/", ifaceObjectManager+".InterfacesRemoved", path, ifaces)
}

// changed emits PropertiesChanged; z.mu is held, which keeps signals in
// the order of the state changes they report.
func (z *BlueZ) changed(path dbus.ObjectPath, iface string, props map[string]any) {
	z.emit(path, ifaceProperties+".PropertiesChanged", iface, variants(props), []string{})
}

func (z *BlueZ) emit(path dbus.ObjectPath, name string, body ...any) {
	// A failed emit means the connection is closing; there is no one to
	// tell.
	_ = z.conn.Emit(path, name, body...)
}

// rootNode is "/", which serves ObjectManager.
type rootNode struct{}

func (rootNode) ifaces() []string {
	return []string{ifaceObjectManager, ifaceProperties, ifaceIntrospectable}
}
func (rootNode) props(string) map[string]dbus.Variant { return map[string]dbus.Variant{} }
func (rootNode) set(string, string, dbus.Variant) *dbus.Error {
	return errInvalidArgs("No such property")
}
