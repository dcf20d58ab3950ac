// MessageName, MessageID and SetMessageID of every message type.

package protocol

func (m *DeviceListV2) MessageName() string    { return "DeviceList" }
func (m *DeviceListV2) MessageID() uint32      { return m.ID }
func (m *DeviceListV2) SetMessageID(id uint32) { m.ID = id }

func (m *DeviceAddedV2) MessageName() string    { return "DeviceAdded" }
func (m *DeviceAddedV2) MessageID() uint32      { return m.ID }
func (m *DeviceAddedV2) SetMessageID(id uint32) { m.ID = id }

func (m *DeviceListV1) MessageName() string    { return "DeviceList" }
func (m *DeviceListV1) MessageID() uint32      { return m.ID }
func (m *DeviceListV1) SetMessageID(id uint32) { m.ID = id }

func (m *DeviceAddedV1) MessageName() string    { return "DeviceAdded" }
func (m *DeviceAddedV1) MessageID() uint32      { return m.ID }
func (m *DeviceAddedV1) SetMessageID(id uint32) { m.ID = id }

func (m *DeviceListV0) MessageName() string    { return "DeviceList" }
func (m *DeviceListV0) MessageID() uint32      { return m.ID }
func (m *DeviceListV0) SetMessageID(id uint32) { m.ID = id }

func (m *DeviceAddedV0) MessageName() string    { return "DeviceAdded" }
func (m *DeviceAddedV0) MessageID() uint32      { return m.ID }
func (m *DeviceAddedV0) SetMessageID(id uint32) { m.ID = id }

func (m *VibrateCmd) MessageName() string    { return "VibrateCmd" }
func (m *VibrateCmd) MessageID() uint32      { return m.ID }
func (m *VibrateCmd) SetMessageID(id uint32) { m.ID = id }

func (m *LinearCmd) MessageName() string    { return "LinearCmd" }
func (m *LinearCmd) MessageID() uint32      { return m.ID }
func (m *LinearCmd) SetMessageID(id uint32) { m.ID = id }

func (m *RotateCmd) MessageName() string    { return "RotateCmd" }
func (m *RotateCmd) MessageID() uint32      { return m.ID }
func (m *RotateCmd) SetMessageID(id uint32) { m.ID = id }

func (m *BatteryLevelCmd) MessageName() string    { return "BatteryLevelCmd" }
func (m *BatteryLevelCmd) MessageID() uint32      { return m.ID }
func (m *BatteryLevelCmd) SetMessageID(id uint32) { m.ID = id }

func (m *BatteryLevelReading) MessageName() string    { return "BatteryLevelReading" }
func (m *BatteryLevelReading) MessageID() uint32      { return m.ID }
func (m *BatteryLevelReading) SetMessageID(id uint32) { m.ID = id }

func (m *RSSILevelCmd) MessageName() string    { return "RSSILevelCmd" }
func (m *RSSILevelCmd) MessageID() uint32      { return m.ID }
func (m *RSSILevelCmd) SetMessageID(id uint32) { m.ID = id }

func (m *RSSILevelReading) MessageName() string    { return "RSSILevelReading" }
func (m *RSSILevelReading) MessageID() uint32      { return m.ID }
func (m *RSSILevelReading) SetMessageID(id uint32) { m.ID = id }

func (m *RawWriteCmd) MessageName() string    { return "RawWriteCmd" }
func (m *RawWriteCmd) MessageID() uint32      { return m.ID }
func (m *RawWriteCmd) SetMessageID(id uint32) { m.ID = id }

func (m *RawReadCmd) MessageName() string    { return "RawReadCmd" }
func (m *RawReadCmd) MessageID() uint32      { return m.ID }
func (m *RawReadCmd) SetMessageID(id uint32) { m.ID = id }

func (m *RawReading) MessageName() string    { return "RawReading" }
func (m *RawReading) MessageID() uint32      { return m.ID }
func (m *RawReading) SetMessageID(id uint32) { m.ID = id }

func (m *RawSubscribeCmd) MessageName() string    { return "RawSubscribeCmd" }
func (m *RawSubscribeCmd) MessageID() uint32      { return m.ID }
func (m *RawSubscribeCmd) SetMessageID(id uint32) { m.ID = id }

func (m *RawUnsubscribeCmd) MessageName() string    { return "RawUnsubscribeCmd" }
func (m *RawUnsubscribeCmd) MessageID() uint32      { return m.ID }
func (m *RawUnsubscribeCmd) SetMessageID(id uint32) { m.ID = id }

func (m *SingleMotorVibrateCmd) MessageName() string    { return "SingleMotorVibrateCmd" }
func (m *SingleMotorVibrateCmd) MessageID() uint32      { return m.ID }
func (m *SingleMotorVibrateCmd) SetMessageID(id uint32) { m.ID = id }

func (m *FleshlightLaunchFW12Cmd) MessageName() string    { return "FleshlightLaunchFW12Cmd" }
func (m *FleshlightLaunchFW12Cmd) MessageID() uint32      { return m.ID }
func (m *FleshlightLaunchFW12Cmd) SetMessageID(id uint32) { m.ID = id }

func (m *LovenseCmd) MessageName() string    { return "LovenseCmd" }
func (m *LovenseCmd) MessageID() uint32      { return m.ID }
func (m *LovenseCmd) SetMessageID(id uint32) { m.ID = id }

func (m *KiirooCmd) MessageName() string    { return "KiirooCmd" }
func (m *KiirooCmd) MessageID() uint32      { return m.ID }
func (m *KiirooCmd) SetMessageID(id uint32) { m.ID = id }

func (m *VorzeA10CycloneCmd) MessageName() string    { return "VorzeA10CycloneCmd" }
func (m *VorzeA10CycloneCmd) MessageID() uint32      { return m.ID }
func (m *VorzeA10CycloneCmd) SetMessageID(id uint32) { m.ID = id }

func (m *Ok) MessageName() string    { return "Ok" }
func (m *Ok) MessageID() uint32      { return m.ID }
func (m *Ok) SetMessageID(id uint32) { m.ID = id }

func (m *Ping) MessageName() string    { return "Ping" }
func (m *Ping) MessageID() uint32      { return m.ID }
func (m *Ping) SetMessageID(id uint32) { m.ID = id }

func (m *Test) MessageName() string    { return "Test" }
func (m *Test) MessageID() uint32      { return m.ID }
func (m *Test) SetMessageID(id uint32) { m.ID = id }

func (m *RequestLog) MessageName() string    { return "RequestLog" }
func (m *RequestLog) MessageID() uint32      { return m.ID }
func (m *RequestLog) SetMessageID(id uint32) { m.ID = id }

func (m *Log) MessageName() string    { return "Log" }
func (m *Log) MessageID() uint32      { return m.ID }
func (m *Log) SetMessageID(id uint32) { m.ID = id }

func (m *RequestServerInfo) MessageName() string    { return "RequestServerInfo" }
func (m *RequestServerInfo) MessageID() uint32      { return m.ID }
func (m *RequestServerInfo) SetMessageID(id uint32) { m.ID = id }

func (m *RequestServerInfoV1) MessageName() string    { return "RequestServerInfo" }
func (m *RequestServerInfoV1) MessageID() uint32      { return m.ID }
func (m *RequestServerInfoV1) SetMessageID(id uint32) { m.ID = id }

func (m *RequestServerInfoV0) MessageName() string    { return "RequestServerInfo" }
func (m *RequestServerInfoV0) MessageID() uint32      { return m.ID }
func (m *RequestServerInfoV0) SetMessageID(id uint32) { m.ID = id }

func (m *ServerInfo) MessageName() string    { return "ServerInfo" }
func (m *ServerInfo) MessageID() uint32      { return m.ID }
func (m *ServerInfo) SetMessageID(id uint32) { m.ID = id }

func (m *ServerInfoV2) MessageName() string    { return "ServerInfo" }
func (m *ServerInfoV2) MessageID() uint32      { return m.ID }
func (m *ServerInfoV2) SetMessageID(id uint32) { m.ID = id }

func (m *ServerInfoV0) MessageName() string    { return "ServerInfo" }
func (m *ServerInfoV0) MessageID() uint32      { return m.ID }
func (m *ServerInfoV0) SetMessageID(id uint32) { m.ID = id }

func (m *Disconnect) MessageName() string    { return "Disconnect" }
func (m *Disconnect) MessageID() uint32      { return m.ID }
func (m *Disconnect) SetMessageID(id uint32) { m.ID = id }

func (m *StartScanning) MessageName() string    { return "StartScanning" }
func (m *StartScanning) MessageID() uint32      { return m.ID }
func (m *StartScanning) SetMessageID(id uint32) { m.ID = id }

func (m *StopScanning) MessageName() string    { return "StopScanning" }
func (m *StopScanning) MessageID() uint32      { return m.ID }
func (m *StopScanning) SetMessageID(id uint32) { m.ID = id }

func (m *ScanningFinished) MessageName() string    { return "ScanningFinished" }
func (m *ScanningFinished) MessageID() uint32      { return m.ID }
func (m *ScanningFinished) SetMessageID(id uint32) { m.ID = id }

func (m *RequestDeviceList) MessageName() string    { return "RequestDeviceList" }
func (m *RequestDeviceList) MessageID() uint32      { return m.ID }
func (m *RequestDeviceList) SetMessageID(id uint32) { m.ID = id }

func (m *DeviceRemoved) MessageName() string    { return "DeviceRemoved" }
func (m *DeviceRemoved) MessageID() uint32      { return m.ID }
func (m *DeviceRemoved) SetMessageID(id uint32) { m.ID = id }

func (m *StopDeviceCmd) MessageName() string    { return "StopDeviceCmd" }
func (m *StopDeviceCmd) MessageID() uint32      { return m.ID }
func (m *StopDeviceCmd) SetMessageID(id uint32) { m.ID = id }

func (m *StopAllDevices) MessageName() string    { return "StopAllDevices" }
func (m *StopAllDevices) MessageID() uint32      { return m.ID }
func (m *StopAllDevices) SetMessageID(id uint32) { m.ID = id }

func (m *DeviceListV3) MessageName() string    { return "DeviceList" }
func (m *DeviceListV3) MessageID() uint32      { return m.ID }
func (m *DeviceListV3) SetMessageID(id uint32) { m.ID = id }

func (m *DeviceAddedV3) MessageName() string    { return "DeviceAdded" }
func (m *DeviceAddedV3) MessageID() uint32      { return m.ID }
func (m *DeviceAddedV3) SetMessageID(id uint32) { m.ID = id }

func (m *ScalarCmd) MessageName() string    { return "ScalarCmd" }
func (m *ScalarCmd) MessageID() uint32      { return m.ID }
func (m *ScalarCmd) SetMessageID(id uint32) { m.ID = id }

func (m *SensorReadCmd) MessageName() string    { return "SensorReadCmd" }
func (m *SensorReadCmd) MessageID() uint32      { return m.ID }
func (m *SensorReadCmd) SetMessageID(id uint32) { m.ID = id }

func (m *SensorSubscribeCmd) MessageName() string    { return "SensorSubscribeCmd" }
func (m *SensorSubscribeCmd) MessageID() uint32      { return m.ID }
func (m *SensorSubscribeCmd) SetMessageID(id uint32) { m.ID = id }

func (m *SensorUnsubscribeCmd) MessageName() string    { return "SensorUnsubscribeCmd" }
func (m *SensorUnsubscribeCmd) MessageID() uint32      { return m.ID }
func (m *SensorUnsubscribeCmd) SetMessageID(id uint32) { m.ID = id }

func (m *SensorReading) MessageName() string    { return "SensorReading" }
func (m *SensorReading) MessageID() uint32      { return m.ID }
func (m *SensorReading) SetMessageID(id uint32) { m.ID = id }

func (m *DeviceList) MessageName() string    { return "DeviceList" }
func (m *DeviceList) MessageID() uint32      { return m.ID }
func (m *DeviceList) SetMessageID(id uint32) { m.ID = id }

func (m *OutputCmd) MessageName() string    { return "OutputCmd" }
func (m *OutputCmd) MessageID() uint32      { return m.ID }
func (m *OutputCmd) SetMessageID(id uint32) { m.ID = id }

func (m *InputCmd) MessageName() string    { return "InputCmd" }
func (m *InputCmd) MessageID() uint32      { return m.ID }
func (m *InputCmd) SetMessageID(id uint32) { m.ID = id }

func (m *InputReading) MessageName() string    { return "InputReading" }
func (m *InputReading) MessageID() uint32      { return m.ID }
func (m *InputReading) SetMessageID(id uint32) { m.ID = id }

func (m *StopCmd) MessageName() string    { return "StopCmd" }
func (m *StopCmd) MessageID() uint32      { return m.ID }
func (m *StopCmd) SetMessageID(id uint32) { m.ID = id }

func (m *Error) MessageName() string    { return "Error" }
func (m *Error) MessageID() uint32      { return m.ID }
func (m *Error) SetMessageID(id uint32) { m.ID = id }
