package protocol

import (
	"fmt"
	"strconv"
)

// enum is implemented by the string enumerations of the protocol. canonical
// maps an accepted spelling to the one this package writes; names is the
// table it looks in, which the decoder reads directly.
type enum interface {
	canonical(s string) (string, bool)
	names() map[string]string
}

func lookup(table map[string]string, s string) (string, bool) {
	c, ok := table[s]
	return c, ok
}

// OutputType is a spec v4 output (actuator) type.
type OutputType string

// Spec v4 output types.
const (
	OutputVibrate                OutputType = "Vibrate"
	OutputRotate                 OutputType = "Rotate"
	OutputOscillate              OutputType = "Oscillate"
	OutputConstrict              OutputType = "Constrict"
	OutputInflate                OutputType = "Inflate"
	OutputTemperature            OutputType = "Temperature"
	OutputLed                    OutputType = "Led"
	OutputPosition               OutputType = "Position"
	OutputHwPositionWithDuration OutputType = "HwPositionWithDuration"
	OutputSpray                  OutputType = "Spray"
)

// OutputTypes lists every output type, in the order the reference server uses.
var OutputTypes = []OutputType{
	OutputVibrate, OutputRotate, OutputOscillate, OutputConstrict, OutputInflate,
	OutputTemperature, OutputLed, OutputPosition, OutputHwPositionWithDuration, OutputSpray,
}

var outputTypeNames = func() map[string]string {
	m := map[string]string{}
	for _, t := range OutputTypes {
		m[string(t)] = string(t)
	}
	return m
}()

func (OutputType) canonical(s string) (string, bool) { return lookup(outputTypeNames, s) }
func (OutputType) names() map[string]string          { return outputTypeNames }

// Valid reports whether t is a known output type.
func (t OutputType) Valid() bool { _, ok := outputTypeNames[string(t)]; return ok }

// ParseOutputType returns the output type named s.
func ParseOutputType(s string) (OutputType, error) {
	c, ok := lookup(outputTypeNames, s)
	if !ok {
		return "", fmt.Errorf("%w: output type %q", ErrInvalidEnum, s)
	}
	return OutputType(c), nil
}

// InputType is a spec v4 input (sensor) type.
type InputType string

// Spec v4 input types. The wire spelling of RSSI is "Rssi"; "RSSI" is accepted
// on input because the docs and the JS client use it.
const (
	InputBattery  InputType = "Battery"
	InputRssi     InputType = "Rssi"
	InputPressure InputType = "Pressure"
	InputButton   InputType = "Button"
	InputDepth    InputType = "Depth"
	InputPosition InputType = "Position"
)

// InputTypes lists every input type.
var InputTypes = []InputType{InputBattery, InputRssi, InputPressure, InputButton, InputDepth, InputPosition}

var inputTypeNames = func() map[string]string {
	m := map[string]string{"RSSI": string(InputRssi)}
	for _, t := range InputTypes {
		m[string(t)] = string(t)
	}
	return m
}()

func (InputType) canonical(s string) (string, bool) { return lookup(inputTypeNames, s) }
func (InputType) names() map[string]string          { return inputTypeNames }

// Valid reports whether t is a known input type in its canonical spelling.
func (t InputType) Valid() bool { c, ok := inputTypeNames[string(t)]; return ok && c == string(t) }

// ParseInputType returns the input type named s, accepting "RSSI" for Rssi.
func ParseInputType(s string) (InputType, error) {
	c, ok := lookup(inputTypeNames, s)
	if !ok {
		return "", fmt.Errorf("%w: input type %q", ErrInvalidEnum, s)
	}
	return InputType(c), nil
}

// InputCommandType is what an InputCmd asks of an input.
type InputCommandType string

// Input commands.
const (
	InputCommandRead        InputCommandType = "Read"
	InputCommandSubscribe   InputCommandType = "Subscribe"
	InputCommandUnsubscribe InputCommandType = "Unsubscribe"
)

var inputCommandNames = map[string]string{"Read": "Read", "Subscribe": "Subscribe", "Unsubscribe": "Unsubscribe"}

func (InputCommandType) canonical(s string) (string, bool) { return lookup(inputCommandNames, s) }
func (InputCommandType) names() map[string]string          { return inputCommandNames }

// Valid reports whether c is a known input command.
func (c InputCommandType) Valid() bool { _, ok := inputCommandNames[string(c)]; return ok }

// ActuatorType is a spec v3 actuator type (ScalarCmd, RotateCmd and LinearCmd
// attributes and ScalarCmd subcommands).
type ActuatorType string

// Spec v3 actuator types.
const (
	ActuatorUnknown   ActuatorType = "Unknown"
	ActuatorVibrate   ActuatorType = "Vibrate"
	ActuatorRotate    ActuatorType = "Rotate"
	ActuatorOscillate ActuatorType = "Oscillate"
	ActuatorConstrict ActuatorType = "Constrict"
	ActuatorInflate   ActuatorType = "Inflate"
	ActuatorPosition  ActuatorType = "Position"
)

var actuatorTypeNames = map[string]string{
	"Unknown": "Unknown", "Vibrate": "Vibrate", "Rotate": "Rotate", "Oscillate": "Oscillate",
	"Constrict": "Constrict", "Inflate": "Inflate", "Position": "Position",
}

func (ActuatorType) canonical(s string) (string, bool) { return lookup(actuatorTypeNames, s) }
func (ActuatorType) names() map[string]string          { return actuatorTypeNames }

// Valid reports whether a is a known actuator type.
func (a ActuatorType) Valid() bool { _, ok := actuatorTypeNames[string(a)]; return ok }

// SensorType is a spec v3 sensor type.
type SensorType string

// Spec v3 sensor types.
const (
	SensorUnknown  SensorType = "Unknown"
	SensorBattery  SensorType = "Battery"
	SensorRSSI     SensorType = "RSSI"
	SensorButton   SensorType = "Button"
	SensorPressure SensorType = "Pressure"
)

var sensorTypeNames = map[string]string{
	"Unknown": "Unknown", "Battery": "Battery", "RSSI": "RSSI", "Rssi": "RSSI",
	"Button": "Button", "Pressure": "Pressure",
}

func (SensorType) canonical(s string) (string, bool) { return lookup(sensorTypeNames, s) }
func (SensorType) names() map[string]string          { return sensorTypeNames }

// Valid reports whether s is a known sensor type in its canonical spelling.
func (s SensorType) Valid() bool { c, ok := sensorTypeNames[string(s)]; return ok && c == string(s) }

// LogLevel is the level of RequestLog and Log (spec v0–v2).
type LogLevel string

// Log levels.
const (
	LogOff   LogLevel = "Off"
	LogFatal LogLevel = "Fatal"
	LogError LogLevel = "Error"
	LogWarn  LogLevel = "Warn"
	LogInfo  LogLevel = "Info"
	LogDebug LogLevel = "Debug"
	LogTrace LogLevel = "Trace"
)

var logLevelNames = map[string]string{
	"Off": "Off", "Fatal": "Fatal", "Error": "Error", "Warn": "Warn", "Info": "Info", "Debug": "Debug", "Trace": "Trace",
}

func (LogLevel) canonical(s string) (string, bool) { return lookup(logLevelNames, s) }
func (LogLevel) names() map[string]string          { return logLevelNames }

// ErrorCode is the Buttplug error class carried by an Error message.
type ErrorCode uint32

// Buttplug error codes.
const (
	ErrorUnknown ErrorCode = 0 // ERROR_UNKNOWN
	ErrorInit    ErrorCode = 1 // ERROR_INIT: handshake problems
	ErrorPing    ErrorCode = 2 // ERROR_PING: ping timeout
	ErrorMsg     ErrorCode = 3 // ERROR_MSG: malformed or invalid message
	ErrorDevice  ErrorCode = 4 // ERROR_DEVICE: device failure or bad device command
)

// String returns the spec's name of the code, e.g. "ERROR_DEVICE".
func (c ErrorCode) String() string {
	switch c {
	case ErrorUnknown:
		return "ERROR_UNKNOWN"
	case ErrorInit:
		return "ERROR_INIT"
	case ErrorPing:
		return "ERROR_PING"
	case ErrorMsg:
		return "ERROR_MSG"
	case ErrorDevice:
		return "ERROR_DEVICE"
	}
	return "ERROR_" + strconv.FormatUint(uint64(c), 10)
}
