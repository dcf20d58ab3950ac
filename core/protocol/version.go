package protocol

import "fmt"

// Version is a Buttplug message spec version. Versions 0–3 are negotiated with
// RequestServerInfo.MessageVersion, version 4 with ProtocolVersionMajor.
type Version uint32

// The spec versions this package implements.
const (
	Version0 Version = 0
	Version1 Version = 1
	Version2 Version = 2
	Version3 Version = 3
	Version4 Version = 4

	// CurrentVersion is the newest spec version implemented here.
	CurrentVersion = Version4
	// CurrentMinorVersion is the minor version sent with spec v4.
	CurrentMinorVersion uint32 = 0
)

// Valid reports whether v is a version this package implements.
func (v Version) Valid() bool { return v <= CurrentVersion }

// String returns "v0".."v4", or "v<n>(unsupported)".
func (v Version) String() string {
	if !v.Valid() {
		return fmt.Sprintf("v%d(unsupported)", uint32(v))
	}
	return fmt.Sprintf("v%d", uint32(v))
}
