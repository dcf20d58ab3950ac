package protocol_test

import (
	"errors"
	"fmt"

	"github.com/bphost/bphost/core/protocol"
)

func ExampleEncode() {
	frame, err := protocol.Encode(
		&protocol.OutputCmd{ID: 1, DeviceIndex: 0, FeatureIndex: 0,
			Command: protocol.OutputCommand{Type: protocol.OutputVibrate, Value: 10}},
		&protocol.Ping{ID: 2},
	)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(frame))
	// Output: [{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}},{"Ping":{"Id":2}}]
}

func ExampleDecoder_Decode() {
	d := protocol.Decoder{Version: protocol.Version3}
	msgs, err := d.Decode([]byte(`[{"ScalarCmd":{"Id":7,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]`))
	if err != nil {
		panic(err)
	}
	cmd := msgs[0].(*protocol.ScalarCmd)
	fmt.Println(cmd.MessageName(), cmd.ID, cmd.Scalars[0].ActuatorType, cmd.Scalars[0].Scalar)
	// Output: ScalarCmd 7 Vibrate 0.5
}

func ExampleDecodeError() {
	d := protocol.Decoder{Version: protocol.Version3}
	_, err := d.Decode([]byte(`[{"StopDeviceCmd":{"Id":9}}]`))
	var de *protocol.DecodeError
	if errors.As(err, &de) && errors.Is(err, protocol.ErrMissingField) {
		// A server answers with the message's own Id.
		reply := protocol.NewError(de.ID, protocol.ErrorMsg, "%v", err)
		frame, _ := protocol.Encode(reply)
		fmt.Println(string(frame))
	}
	// Output: [{"Error":{"Id":9,"ErrorMessage":"protocol: decode StopDeviceCmd (Id 9) field DeviceIndex: missing required field","ErrorCode":3}}]
}

func ExampleDetectVersion() {
	envs, err := protocol.SplitFrame([]byte(`[{"RequestServerInfo":{"Id":1,"ClientName":"Game","MessageVersion":2}}]`))
	if err != nil {
		panic(err)
	}
	v, err := protocol.DetectVersion(&envs[0])
	fmt.Println(v, err)
	// Output: v2 <nil>
}
