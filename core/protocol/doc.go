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
// The codec is github.com/go-json-experiment/json (the design of
// encoding/json/v2): jsontext checks a frame's syntax and splits it into its
// messages, json.Unmarshal reads each body into its message struct from the
// struct tags, refusing unknown members unless the decoder is lenient, and a
// second look at the body (checkShape) refuses what the library lets pass
// but the schema does not (a required field left out, a null); the bp tag
// rules are checked by the same validation Encode runs. The compact Ok and
// OutputCmd frames, the commonest by far, are read by a small fast path that
// the fuzz tests hold to the library path's results.
//
// The package imports nothing else of this project.
package protocol
