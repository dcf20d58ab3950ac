package protocols

import (
	"context"
	"fmt"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Fredorch (YXlinksSPP) machines speak Modbus RTU on tx (device address 1,
// CRC-16/MODBUS low byte first) and answer each request on rx. Connecting puts
// the machine in program mode, records a move to position 0 at speed 5,
// runs the program and makes it repeat; every request must be answered
// within half a second. A stroke then rewrites the program registers from
// 0x6b: speed, speed, position, position, 1. Positions 0-15 are sent as
// 0-150; the speed (1-20) is the slowest one whose time for the distance,
// from the vendor's table, is under the requested duration.
const (
	fredorchAddr        = 0x01
	fredorchWriteOne    = 0x06
	fredorchWriteMany   = 0x10
	fredorchRegMode     = 0x64
	fredorchRegProgram  = 0x69
	fredorchRegRepeat   = 0x6a
	fredorchRegMove     = 0x6b
	fredorchReplyWait   = 500 * time.Millisecond
	fredorchMaxPosition = 15
)

func init() {
	Register("fredorch", func() Protocol { return fredorch{} })
	RegisterSimulator("fredorch", fredorchSim{})
}

// fredorchFrame appends the CRC to a request.
func fredorchFrame(b []byte) []byte {
	crc := crc16Modbus(b)
	return append(b, byte(crc), byte(crc>>8))
}

// fredorchSetRegister writes one register.
func fredorchSetRegister(reg, v uint16) []byte {
	return fredorchFrame([]byte{fredorchAddr, fredorchWriteOne, byte(reg >> 8), byte(reg), byte(v >> 8), byte(v)})
}

// fredorchMove writes the move registers: speed and position for both
// directions, then 1.
func fredorchMove(speed, pos byte) []byte {
	values := []uint16{uint16(speed), uint16(speed), uint16(pos), uint16(pos), 1}
	b := []byte{fredorchAddr, fredorchWriteMany, 0x00, fredorchRegMove, 0x00, byte(len(values)), byte(2 * len(values))}
	for _, v := range values {
		b = append(b, byte(v>>8), byte(v))
	}
	return fredorchFrame(b)
}

type fredorch struct{}

func (fredorch) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (fredorch) Init(ctx context.Context, link Link, _ *config.Definition) (Handler, error) {
	lis := link.Listen(comm.EndpointRx)
	defer lis.Close()
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return nil, fmt.Errorf("fredorch: subscribe rx: %w", err)
	}
	// The machine may announce itself once subscribed; it need not.
	if _, _, err := awaitNotification(ctx, lis, fredorchReplyWait); err != nil {
		return nil, fmt.Errorf("fredorch: wake up: %w", err)
	}
	steps := []struct {
		what string
		data []byte
	}{
		{"enter program mode", fredorchSetRegister(fredorchRegMode, 1)},
		{"record the program", fredorchSetRegister(fredorchRegProgram, 0)},
		{"program a move to 0", fredorchMove(5, 0)},
		{"run the program", fredorchSetRegister(fredorchRegProgram, 1)},
		{"repeat the program", fredorchSetRegister(fredorchRegRepeat, 1)},
	}
	for _, st := range steps {
		if err := link.Write(ctx, comm.EndpointTx, st.data, false); err != nil {
			return nil, fmt.Errorf("fredorch: %s: %w", st.what, err)
		}
		_, ok, err := awaitNotification(ctx, lis, fredorchReplyWait)
		if err != nil {
			return nil, fmt.Errorf("fredorch: %s: %w", st.what, err)
		}
		if !ok {
			return nil, fmt.Errorf("fredorch: %s: no answer within %v", st.what, fredorchReplyWait)
		}
	}
	var prev int32
	return perOutput(comm.EndpointTx, false, func(o Output) []byte {
		if o.Value < 0 || o.Value > fredorchMaxPosition {
			return nil
		}
		speed := fredorchSpeed(abs32(prev-o.Value), o.Duration)
		prev = o.Value
		return fredorchMove(speed, byte(o.Value*10))
	}, protocol.OutputHwPositionWithDuration), nil
}

// fredorchTimes[d-1][s-1] is the time in ms the machine takes to move d
// positions at speed s.
var fredorchTimes = [fredorchMaxPosition][20]uint16{
	{1000, 800, 400, 235, 200, 172, 155, 92, 60, 45, 38, 34, 32, 28, 27, 26, 25, 24, 23, 22},
	{1500, 1000, 800, 680, 600, 515, 425, 265, 165, 115, 80, 70, 50, 48, 45, 35, 34, 33, 32, 30},
	{2500, 2310, 1135, 925, 792, 695, 565, 380, 218, 155, 105, 82, 70, 68, 65, 60, 48, 45, 43, 40},
	{3000, 2800, 1500, 1155, 965, 810, 690, 465, 260, 195, 140, 110, 85, 75, 74, 73, 70, 65, 60, 55},
	{3400, 3232, 2305, 1380, 1200, 1165, 972, 565, 328, 235, 162, 132, 98, 78, 75, 74, 73, 72, 71, 70},
	{3500, 3350, 2500, 1640, 1250, 1210, 1010, 645, 385, 275, 175, 160, 115, 95, 91, 90, 85, 80, 77, 75},
	{3600, 3472, 2980, 2060, 1560, 1275, 1132, 738, 430, 310, 230, 170, 128, 122, 110, 108, 105, 103, 101, 100},
	{3800, 3500, 3055, 2105, 1740, 1370, 1290, 830, 490, 355, 235, 195, 150, 140, 135, 132, 130, 125, 120, 119},
	{3900, 3518, 3190, 2315, 2045, 1510, 1442, 1045, 552, 392, 280, 225, 172, 145, 140, 138, 135, 134, 132, 130},
	{6000, 5755, 3240, 2530, 2135, 1605, 1500, 1200, 595, 425, 285, 245, 175, 170, 160, 155, 150, 145, 142, 140},
	{6428, 5872, 3335, 2780, 2270, 1782, 1590, 1310, 648, 470, 315, 255, 182, 180, 175, 172, 170, 162, 160, 155},
	{6730, 5950, 3490, 2995, 2395, 1890, 1650, 1350, 700, 500, 350, 290, 220, 190, 185, 180, 175, 170, 165, 160},
	{6962, 6122, 3880, 3205, 2465, 1900, 1700, 1400, 835, 545, 375, 310, 228, 195, 190, 185, 182, 181, 180, 175},
	{7945, 6365, 4130, 3470, 2505, 1910, 1755, 1510, 855, 580, 400, 330, 235, 210, 205, 200, 195, 190, 185, 180},
	{8048, 7068, 4442, 3708, 2668, 1930, 1800, 1520, 878, 618, 428, 365, 260, 255, 250, 240, 230, 220, 210, 200},
}

// fredorchSpeed is the slowest speed (1-20) that moves distance positions
// in less than duration ms, 20 when none does, 0 for no move.
func fredorchSpeed(distance int32, duration uint32) byte {
	if distance <= 0 {
		return 0
	}
	distance = min(distance, fredorchMaxPosition)
	row := fredorchTimes[distance-1]
	for i, t := range row[:len(row)-1] {
		if uint32(t) < duration {
			return byte(i + 1)
		}
	}
	return byte(len(row))
}

// fredorchSim announces itself on subscription and answers every request
// (with an echo, which is all the handshake looks for).
type fredorchSim struct{ SimBase }

func (fredorchSim) Subscribed(_ *SimState, ep comm.Endpoint) []comm.Notification {
	if ep != comm.EndpointRx {
		return nil
	}
	return []comm.Notification{{Endpoint: comm.EndpointRx, Data: []byte{0x00, 0x01, 0x00, 0x01, 0x01}}}
}

func (fredorchSim) Respond(_ *SimState, ep comm.Endpoint, data []byte) []comm.Notification {
	if ep != comm.EndpointTx {
		return nil
	}
	return []comm.Notification{{Endpoint: comm.EndpointRx, Data: append([]byte(nil), data...)}}
}
