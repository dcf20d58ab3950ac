package protocol

// Ok acknowledges the request with the same Id.
type Ok struct {
	ID uint32 `json:"Id" bp:"id=client"`
}

// Ping keeps the connection alive when the server has a MaxPingTime.
type Ping struct {
	ID uint32 `json:"Id" bp:"id=client"`
}

// Test asks the server to echo TestString (spec v0–v1).
type Test struct {
	ID         uint32 `json:"Id" bp:"id=client"`
	TestString string `json:"TestString"`
}

// RequestLog asks the server to stream its log at LogLevel (spec v0–v2).
type RequestLog struct {
	ID       uint32   `json:"Id" bp:"id=client"`
	LogLevel LogLevel `json:"LogLevel"`
}

// Log is one server log line sent after RequestLog (spec v0–v2).
type Log struct {
	ID         uint32   `json:"Id" bp:"id=system"`
	LogLevel   LogLevel `json:"LogLevel"`
	LogMessage string   `json:"LogMessage"`
}

// RequestServerInfo opens a spec v4 session.
type RequestServerInfo struct {
	ID                   uint32 `json:"Id" bp:"id=client"`
	ClientName           string `json:"ClientName"`
	ProtocolVersionMajor uint32 `json:"ProtocolVersionMajor"`
	ProtocolVersionMinor uint32 `json:"ProtocolVersionMinor"`
}

// RequestServerInfoV1 opens a spec v1–v3 session.
type RequestServerInfoV1 struct {
	ID             uint32 `json:"Id" bp:"id=client"`
	ClientName     string `json:"ClientName"`
	MessageVersion uint32 `json:"MessageVersion"`
}

// RequestServerInfoV0 opens a spec v0 session; v0 has no version field.
type RequestServerInfoV0 struct {
	ID         uint32 `json:"Id" bp:"id=client"`
	ClientName string `json:"ClientName"`
}

// ServerInfo answers a spec v4 RequestServerInfo. MaxPingTime is in
// milliseconds; 0 means the server does not expect pings.
type ServerInfo struct {
	ID                   uint32 `json:"Id" bp:"id=client"`
	ServerName           string `json:"ServerName"`
	ProtocolVersionMajor uint32 `json:"ProtocolVersionMajor"`
	ProtocolVersionMinor uint32 `json:"ProtocolVersionMinor"`
	MaxPingTime          uint32 `json:"MaxPingTime"`
}

// ServerInfoV2 answers a spec v2–v3 RequestServerInfo.
type ServerInfoV2 struct {
	ID             uint32 `json:"Id" bp:"id=client"`
	ServerName     string `json:"ServerName"`
	MessageVersion uint32 `json:"MessageVersion"`
	MaxPingTime    uint32 `json:"MaxPingTime"`
}

// ServerInfoV0 answers a spec v0–v1 RequestServerInfo.
type ServerInfoV0 struct {
	ID             uint32 `json:"Id" bp:"id=client"`
	ServerName     string `json:"ServerName"`
	MessageVersion uint32 `json:"MessageVersion"`
	MajorVersion   uint32 `json:"MajorVersion"`
	MinorVersion   uint32 `json:"MinorVersion"`
	BuildVersion   uint32 `json:"BuildVersion"`
	MaxPingTime    uint32 `json:"MaxPingTime"`
}

// Disconnect ends a spec v4 session gracefully: the server answers Ok, stops
// every device and closes. It is in the v4 docs but not in the schema.
type Disconnect struct {
	ID uint32 `json:"Id" bp:"id=client"`
}

// StartScanning asks the server to look for devices.
type StartScanning struct {
	ID uint32 `json:"Id" bp:"id=client"`
}

// StopScanning asks the server to stop looking for devices.
type StopScanning struct {
	ID uint32 `json:"Id" bp:"id=client"`
}

// ScanningFinished is the server's event that every scan has ended.
type ScanningFinished struct {
	ID uint32 `json:"Id" bp:"id=system"`
}

// RequestDeviceList asks for the devices the server knows.
type RequestDeviceList struct {
	ID uint32 `json:"Id" bp:"id=client"`
}

// DeviceRemoved is the spec v0–v3 event that a device went away.
type DeviceRemoved struct {
	ID          uint32 `json:"Id" bp:"id=system"`
	DeviceIndex uint32 `json:"DeviceIndex"`
}

// StopDeviceCmd stops everything one device does (spec v0–v3).
type StopDeviceCmd struct {
	ID          uint32 `json:"Id" bp:"id=client"`
	DeviceIndex uint32 `json:"DeviceIndex"`
}

// StopAllDevices stops every device (spec v0–v3).
type StopAllDevices struct {
	ID uint32 `json:"Id" bp:"id=client"`
}
