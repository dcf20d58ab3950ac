// Package client is a Buttplug client: it connects to a Buttplug server
// through a [connector.Connector], negotiates the spec version, tracks the
// devices the server reports, turns method calls into messages, matches the
// replies, and delivers events.
//
// The client asks for spec v4 and falls back to spec v3 on its own when the
// server refuses v4, either with an Error (the WASM reference server) or by
// not answering at all (buttplug-rs 7–9, Intiface Central 2.x). The
// application sees the same devices, features and events whichever version
// was agreed.
//
// A [Client] is safe for concurrent use. It can be connected again after a
// disconnect; [Device] values belong to the session that reported them and
// report [Device.Connected] false once it ends.
//
// Events reach the application through [Client.Subscribe]. The connection's
// read loop never waits for a subscriber: one that falls behind receives a
// [Missed] event saying how many events it lost, at the place it lost them.
//
// Output values are a [Fraction] of a feature's range (converted to steps by
// [protocol.Steps], a plain ceil as the reference clients do) or raw [Steps]. Values outside a
// feature's range and commands a device does not support fail with
// [ErrOutOfRange] or [ErrUnsupported] before anything is sent.
package client
