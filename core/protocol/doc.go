// Package protocol is the Buttplug message layer: every message of the
// Buttplug JSON schema for spec v4 and the older message versions 0–3, and the
// codec that turns whole frames into messages and back.
//
// A frame is a JSON array of single-key objects, each key naming the message:
//
//	[{"Ping":{"Id":5}},{"StartScanning":{"Id":6}}]
//
// Several message names have a different shape in different spec versions
// (DeviceList, DeviceAdded, ServerInfo, RequestServerInfo), so decoding takes the
// negotiated [Version]. Go types for those shapes carry the first version that
// used them as a suffix: [DeviceListV3] is the DeviceList of spec v3, and the
// unsuffixed [DeviceList] is the current spec v4 one. A server that does not yet
// know the client's version reads it from the first message with [DetectVersion].
//
// Bad input never panics: it yields a [*DecodeError] that names the message,
// its Id when readable, the field, and wraps one of the sentinel errors
// ([ErrUnknownMessage], [ErrMissingField], [ErrWrongType], [ErrOutOfRange], ...).
// A Buttplug Error message is itself a Go error ([*Error]) that keeps its
// [ErrorCode].
//
// Decoding takes two passes over a frame and builds no intermediate tree: the
// first checks the JSON exactly as encoding/json would and finds the messages,
// the second reads each body straight into its message struct, driven by
// plans worked out once per Go type from the struct tags. The tree decoder
// it replaced is kept in the tests, which require both to agree on any input.
//
// The package imports nothing else of this project.
package protocol
