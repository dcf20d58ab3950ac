package protocols

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Byte-exact tests of the protocols mannuo … zalo: the identification and
// init handshake, and the packets written for a few outputs. The expected
// bytes come from the reference implementation, buttplug-rs; each case
// names its file under crates/buttplug_server/src/device/protocol_impl/.
// Where buttplug-rs has none, the case names the buttplug-csharp file.

// b2Step is one output and the commands it must produce; fails means the
// handler must refuse it.
type b2Step struct {
	out   Output
	want  []b1Op
	fails bool
}

// b2Case connects a device of protocol advertised as adv over a b1Link and
// checks its handshake and packets.
type b2Case struct {
	name     string
	protocol string
	adv      string
	eps      []comm.Endpoint // the device's endpoints; nil: tx only
	sim      Simulator       // answers reads and writes like the device
	simIdent string          // what the simulated device says it is
	model    string          // the definition it must resolve to
	init     []b1Op
	steps    []b2Step
}

// b2Endpoints are the endpoint names a b2Case device may lack.
var b2Endpoints = []comm.Endpoint{
	comm.EndpointCommand, comm.EndpointFirmware, comm.EndpointRx, comm.EndpointRxAccel, comm.EndpointRxBLEBattery,
	comm.EndpointRxBLEModel, comm.EndpointRxPressure, comm.EndpointRxTouch, comm.EndpointTx, comm.EndpointTxMode,
	comm.EndpointTxShock, comm.EndpointTxVibrate, comm.EndpointTxVendorControl, comm.EndpointWhitelist, comm.EndpointGeneric0,
}

// b2Link is a b1Link with only eps, whose reads and answers come from sim.
func b2Link(name string, eps []comm.Endpoint, sim Simulator, simIdent string) *b1Link {
	if eps == nil {
		eps = []comm.Endpoint{comm.EndpointTx}
	}
	link := newB1Link(name)
	link.missing = map[comm.Endpoint]bool{}
	link.reads = map[comm.Endpoint][]byte{}
	st := &SimState{Identifier: simIdent, Battery: 50}
	for _, ep := range b2Endpoints {
		link.missing[ep] = !slices.Contains(eps, ep)
		if sim != nil && !link.missing[ep] {
			if b, ok := sim.Read(st, ep, 0); ok {
				link.reads[ep] = b
			}
		}
	}
	if sim != nil {
		link.onWrite = func(ep comm.Endpoint, data []byte) []comm.Notification { return sim.Respond(st, ep, data) }
	}
	return link
}

func vib(f uint32, v int32) Output { return Output{Feature: f, Type: protocol.OutputVibrate, Value: v} }
func osc(f uint32, v int32) Output {
	return Output{Feature: f, Type: protocol.OutputOscillate, Value: v}
}
func rot(f uint32, v int32) Output { return Output{Feature: f, Type: protocol.OutputRotate, Value: v} }
func cons(f uint32, v int32) Output {
	return Output{Feature: f, Type: protocol.OutputConstrict, Value: v}
}
func move(v int32, ms uint32) Output {
	return Output{Type: protocol.OutputHwPositionWithDuration, Value: v, Duration: ms}
}

// wr is a write of hex data to ep; with "resp", with response.
func wr(ep, data string, resp ...string) b1Op {
	b, err := hex.DecodeString(data)
	if err != nil {
		panic("bad hex in test: " + data)
	}
	return b1Write(comm.Endpoint(ep), len(resp) > 0, b...)
}

// rd is a read of ep.
func rd(ep comm.Endpoint) b1Op { return b1Op{Kind: "read", Endpoint: ep} }

// zpad pads a hex string with zero bytes to n bytes.
func zpad(h string, n int) string { return h + strings.Repeat("00", n-len(h)/2) }

func runB2(t *testing.T, c b2Case) {
	t.Helper()
	h := b1Connect(t, c.protocol, b2Link(c.adv, c.eps, c.sim, c.simIdent), c.model, c.init)
	b2Steps(t, h, c.steps)
}

func b2Steps(t *testing.T, h Handler, steps []b2Step) {
	t.Helper()
	for i, st := range steps {
		cmds, err := h.Output(st.out)
		if st.fails {
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("step %d %+v: err = %v, want unsupported", i, st.out, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("step %d %+v: %v", i, st.out, err)
			continue
		}
		b1SameOps(t, fmt.Sprintf("step %d %+v", i, st.out), b1Commands(cmds), st.want)
	}
}

func TestBatch2SimpleProtocols(t *testing.T) {
	cases := []b2Case{
		{ // mannuo.rs
			name: "mannuo", protocol: "mannuo", adv: "LXCDVP", model: "ManNuo Device",
			steps: []b2Step{
				{out: vib(0, 2), want: []b1Op{wr("tx", "aa550601010102fa00", "resp")}},
				{out: vib(0, 3), want: []b1Op{wr("tx", "aa550601010103fa01", "resp")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "aa550601010100fa02", "resp")}},
				{out: rot(0, 1), fails: true},
			},
		},
		{ // maxpro.rs
			name: "maxpro", protocol: "maxpro", adv: "M2", model: "MaxPro 2",
			steps: []b2Step{
				{out: vib(0, 50), want: []b1Op{wr("tx", "550407ffff3f325f3260")}},
				{out: vib(0, 100), want: []b1Op{wr("tx", "550407ffff3f645f64c4")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "550407ffff3f005f00fc")}},
			},
		},
		{ // mymuselinkplus.rs
			name: "mymuselinkplus", protocol: "mymuselinkplus", adv: "MM Massager", model: "MyMuse Link Plus",
			steps: []b2Step{
				{out: vib(0, 1), want: []b1Op{wr("tx", "aa550601010101ff")}},
				{out: vib(0, 3), want: []b1Op{wr("tx", "aa550601010103ff")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "aa5506aa00000000")}},
			},
		},
		{ // nextlevelracing.rs
			name: "nextlevelracing", protocol: "nextlevelracing", adv: "Next Level Racing HF8 Haptic Gaming Pad",
			model: "Next Level Racing HF8 Haptic Gaming Pad",
			steps: []b2Step{
				{out: vib(3, 200), want: []b1Op{wr("tx", "4d333230300d")}},
				{out: vib(0, 255), want: []b1Op{wr("tx", "4d303235350d")}},
				{out: vib(7, 0), want: []b1Op{wr("tx", "4d37300d")}},
			},
		},
		{ // picobong.rs
			name: "picobong", protocol: "picobong", adv: "Diver", model: "Picobong Diver",
			steps: []b2Step{
				{out: vib(0, 5), want: []b1Op{wr("tx", "010105")}},
				{out: vib(0, 10), want: []b1Op{wr("tx", "01010a")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "01ff00")}},
			},
		},
		{ // prettylove.rs: the identifier is always "Aogu BLE".
			name: "prettylove", protocol: "prettylove", adv: "Aogu BLE 0042", model: "Pretty Love Device",
			steps: []b2Step{
				{out: vib(0, 2), want: []b1Op{wr("tx", "0002", "resp")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "0000", "resp")}},
			},
		},
		{ // realov.rs
			name: "realov", protocol: "realov", adv: "REALOV_VIBE", model: "Realov Device",
			steps: []b2Step{
				{out: vib(0, 25), want: []b1Op{wr("tx", "c55519aa")}},
				{out: vib(0, 50), want: []b1Op{wr("tx", "c55532aa")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "c55500aa")}},
			},
		},
		{ // youcups.rs
			name: "youcups", protocol: "youcups", adv: "Youcups", model: "Youcups Warrior II",
			steps: []b2Step{
				{out: vib(0, 8), want: []b1Op{wr("tx", "245359532c383f")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "245359532c303f")}},
			},
		},
		{ // youou.rs: the identifier is always "VX001_"; byte 2 counts packets.
			name: "youou", protocol: "youou", adv: "VX001_1234", model: "Youou Wand Vibrator",
			steps: []b2Step{
				{out: vib(0, 100), want: []b1Op{wr("tx", "aa550002030164019aff00000000000000")}},
				{out: vib(0, 247), want: []b1Op{wr("tx", "aa5501020301f70108ff00000000000000")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "aa55020203010000fdff00000000000000")}},
			},
		},
		{ // zalo.rs
			name: "zalo", protocol: "zalo", adv: "ZALO-Queen", model: "Zalo Queen",
			steps: []b2Step{
				{out: vib(0, 5), want: []b1Op{wr("tx", "010501", "resp")}},
				{out: vib(1, 8), want: []b1Op{wr("tx", "010508", "resp")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "010108", "resp")}},
				{out: vib(1, 0), want: []b1Op{wr("tx", "020101", "resp")}},
			},
		},
		{ // sexverse_v3.rs: a1 04 <speed> <index+1>.
			name: "sexverse-v3", protocol: "sexverse-v3", adv: "TA-S001A", model: "Sexverse Zeus",
			steps: []b2Step{
				{out: vib(0, 20), want: []b1Op{wr("tx", "a1041401", "resp")}},
				{out: osc(1, 10), want: []b1Op{wr("tx", "a1040a02", "resp")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "a1040001", "resp")}},
			},
		},
		{ // mysteryvibe_v2.rs (init), mysteryvibe.rs (packets)
			name: "mysteryvibe-v2", protocol: "mysteryvibe-v2", adv: "6909 MV1", model: "MysteryVibe Tenuto 2",
			eps:  []comm.Endpoint{comm.EndpointTxMode, comm.EndpointTxVibrate},
			init: []b1Op{wr("txmode", "030240", "resp")},
			steps: []b2Step{
				{out: vib(2, 10), want: []b1Op{wr("txvibrate", "00000a00")}},
				{out: vib(0, 56), want: []b1Op{wr("txvibrate", "38000a00")}},
			},
		},
		{ // patoo.rs: the identifier is the name up to its first digit.
			name: "patoo", protocol: "patoo", adv: "PBT0815", model: "Patoo Devil",
			eps: []comm.Endpoint{comm.EndpointTx, comm.EndpointTxMode},
			steps: []b2Step{
				{out: vib(0, 50), want: []b1Op{wr("tx", "32", "resp"), wr("txmode", "04", "resp")}},
				{out: vib(1, 70), want: []b1Op{wr("tx", "32", "resp"), wr("txmode", "04", "resp")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "46", "resp"), wr("txmode", "80", "resp")}},
				{out: vib(1, 0), want: []b1Op{wr("tx", "00", "resp"), wr("txmode", "00", "resp")}},
			},
		},
		{ // buttplug-csharp Buttplug/Devices/Protocols/CycloneX10Protocol.cs
			name: "vorze-cyclone-x", protocol: "vorze-cyclone-x", adv: "Vorze Cyclone X10 Device",
			model: "Vorze Cyclone X10 Device",
			steps: []b2Step{
				{out: rot(0, 5), want: []b1Op{wr("tx", "003c303135323030353030010203683e")}},
				{out: rot(0, -10), want: []b1Op{wr("tx", "003c3031353230313a3030010203683e")}},
				{out: rot(0, 0), want: []b1Op{wr("tx", "003c303135323031303030010203683e")}},
				{out: rot(0, 3), want: []b1Op{wr("tx", "003c303135323030333030010203683e")}},
				{out: vib(0, 3), fails: true},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runB2(t, c) })
	}
}

func TestBatch2Svakom(t *testing.T) {
	rxtx := []comm.Endpoint{comm.EndpointRx, comm.EndpointTx}
	cases := []b2Case{
		{ // svakom/svakom_avaneo.rs
			name: "avaneo", protocol: "svakom-avaneo", adv: "Ava Neo", model: "Svakom Ava Neo", eps: rxtx,
			steps: []b2Step{
				{out: vib(0, 7), want: []b1Op{wr("tx", "550300000107")}},
				{out: osc(1, 1), want: []b1Op{wr("tx", "5508000001ff")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "550300000000")}},
				{out: osc(1, 0), want: []b1Op{wr("tx", "5508000000ff")}},
			},
		},
		{ // svakom/svakom_barney.rs: <sel> picks the motor, 03 runs.
			name: "barney", protocol: "svakom-barney", adv: "DJ333A", model: "Mutufun Barney", eps: rxtx,
			steps: []b2Step{
				{out: vib(0, 5), want: []b1Op{wr("tx", "55030100030500")}},
				{out: vib(1, 7), want: []b1Op{wr("tx", "55030000030700")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "55030200030700")}},
				{out: vib(1, 0), want: []b1Op{wr("tx", "55030000000000")}},
			},
		},
		{ // svakom/svakom_v4.rs, one vibrator: <sel> is always 00.
			name: "v4-clara", protocol: "svakom-v4", adv: "VV468A", model: "ToyCod Clara", eps: rxtx,
			steps: []b2Step{
				{out: vib(0, 5), want: []b1Op{wr("tx", "55030000010500")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "55030000000000")}},
			},
		},
		{ // svakom/svakom_v4.rs, two vibrators
			name: "v4-erica", protocol: "svakom-v4", adv: "ERICA", model: "Svakom Erica", eps: rxtx,
			steps: []b2Step{
				{out: vib(1, 4), want: []b1Op{wr("tx", "55030200010400")}},
				{out: vib(0, 9), want: []b1Op{wr("tx", "55030000010900")}},
			},
		},
		{ // svakom/svakom_dice.rs
			name: "dice", protocol: "svakom-dice", adv: "ZhiAi", model: "Zemalia Dice for Love", eps: rxtx,
			steps: []b2Step{
				{out: vib(0, 128), want: []b1Op{wr("tx", "550400000180aa")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "550400000100aa")}},
			},
		},
		{ // svakom/svakom_dt250a.rs
			name: "dt250a", protocol: "svakom-dt250a", adv: "DT250A", model: "Coleur Dor DT250A", eps: rxtx,
			steps: []b2Step{
				{out: vib(0, 2), want: []b1Op{wr("tx", "550300000201")}},
				{out: vib(1, 3), want: []b1Op{wr("tx", "550800000301")}},
				{out: cons(2, 2), want: []b1Op{wr("tx", "550900000200")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "550300000000")}},
			},
		},
		{ // svakom/svakom_jordan.rs
			name: "jordan", protocol: "svakom-jordan", adv: "Jordan", model: "Svakom Jordan", eps: rxtx,
			steps: []b2Step{
				{out: vib(0, 10), want: []b1Op{wr("tx", "55030000010a00")}},
				{out: osc(1, 5), want: []b1Op{wr("tx", "55080000010500")}},
				{out: osc(1, 0), want: []b1Op{wr("tx", "55080000000000")}},
			},
		},
		{ // svakom/svakom_sam.rs, second generation (txmode): mode 04.
			name: "sam-neo-2", protocol: "svakom-sam", adv: "Sam Neo", model: "Svakom Sam Neo",
			eps:  []comm.Endpoint{comm.EndpointRx, comm.EndpointTx, comm.EndpointTxMode, comm.EndpointFirmware},
			init: []b1Op{b1Sub(comm.EndpointRx)},
			steps: []b2Step{
				{out: vib(0, 10), want: []b1Op{wr("tx", "12010300040a")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "120103000000")}},
				{out: cons(1, 1), want: []b1Op{wr("tx", "12060101")}},
			},
		},
		{ // svakom/svakom_sam.rs, first generation: mode 05 always.
			name: "sam-neo", protocol: "svakom-sam", adv: "Sam Neo", model: "Svakom Sam Neo", eps: rxtx,
			init: []b1Op{b1Sub(comm.EndpointRx)},
			steps: []b2Step{
				{out: vib(0, 3), want: []b1Op{wr("tx", "120103000503")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "120103000500")}},
			},
		},
		{ // svakom/svakom_suitcase.rs: 0-30 split into intensity and speed.
			name: "suitcase", protocol: "svakom-suitcase", adv: "VX357A-BLE-V1.0", model: "Svakom Magic Suitcase", eps: rxtx,
			steps: []b2Step{
				{out: vib(0, 5), want: []b1Op{wr("tx", "550300000105")}},
				{out: vib(0, 10), want: []b1Op{wr("tx", "55030000010a")}},
				{out: vib(0, 11), want: []b1Op{wr("tx", "550300000201")}},
				{out: vib(0, 30), want: []b1Op{wr("tx", "55030000030a")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "550300000000")}},
				{out: vib(1, 1), want: []b1Op{wr("tx", "550900000100")}},
			},
		},
		{ // svakom/svakom_tarax.rs
			name: "tarax", protocol: "svakom-tarax", adv: "SX218A", model: "ToyCod Tara X", eps: rxtx,
			steps: []b2Step{
				{out: vib(0, 2), want: []b1Op{wr("tx", "550300000202")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "550300000101")}},
				{out: vib(1, 3), want: []b1Op{wr("tx", "550900000300")}},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runB2(t, c) })
	}
}

func TestBatch2Handshakes(t *testing.T) {
	allMonsterpub := []comm.Endpoint{comm.EndpointGeneric0, comm.EndpointTx, comm.EndpointTxMode, comm.EndpointTxVibrate,
		comm.EndpointRxBLEModel, comm.EndpointRx}
	vibratissimoEps := []comm.Endpoint{comm.EndpointRx, comm.EndpointTxMode, comm.EndpointTxVibrate, comm.EndpointRxBLEModel, comm.EndpointRxBLEBattery}
	cases := []b2Case{
		{ // monsterpub.rs: model on rxblemodel (NULs stripped), then the
			// challenge 01 10 20 ... f0 XORed with key 1 ("LSBB...").
			name: "monsterpub", protocol: "monsterpub", adv: "MonsterPub", eps: allMonsterpub,
			sim: monsterpubSim{}, simIdent: "MP2_JK_N_P1", model: "Sistalk MonsterPub 2 Doctor Whale",
			init: []b1Op{
				rd(comm.EndpointRxBLEModel),
				rd(comm.EndpointRx),
				wr("rx", "5c7372021c3332c2dcf3f2829cb3b2", "resp"),
			},
			steps: []b2Step{
				{out: vib(0, 50), want: []b1Op{wr("txvibrate", "3200")}},
				{out: vib(1, 100), want: []b1Op{wr("txvibrate", "3264")}},
				{out: vib(0, 0), want: []b1Op{wr("txvibrate", "0064")}},
				{out: vib(1, 0), want: []b1Op{wr("txvibrate", "0000")}},
			},
		},
		{ // monsterpub.rs: no model answer is "Unknown"; without txvibrate
			// the speeds go to tx, and a stop to txmode with response.
			name: "monsterpub-tx", protocol: "monsterpub", adv: "MonsterPub",
			eps:   []comm.Endpoint{comm.EndpointTx, comm.EndpointTxMode, comm.EndpointRxBLEModel},
			model: "Sistalk MonsterPub Device",
			init:  []b1Op{rd(comm.EndpointRxBLEModel)},
			steps: []b2Step{
				{out: vib(0, 30), want: []b1Op{wr("tx", "1e")}},
				{out: vib(0, 0), want: []b1Op{wr("txmode", "00", "resp")}},
			},
		},
		{ // monsterpub.rs: Tracy's Dog on generic0, behind 03.
			name: "monsterpub-generic0", protocol: "monsterpub", adv: "TracyDog",
			eps: []comm.Endpoint{comm.EndpointGeneric0, comm.EndpointRxBLEModel},
			sim: monsterpubSim{}, simIdent: "TDG_CRAYBIT_PT", model: "Tracy's Dog Craybit Pro",
			init: []b1Op{rd(comm.EndpointRxBLEModel)},
			steps: []b2Step{
				{out: vib(2, 40), want: []b1Op{wr("generic0", "03000028")}},
				{out: vib(0, 10), want: []b1Op{wr("generic0", "030a0028")}},
			},
		},
		{ // vibratissimo.rs: model on rxblemodel; mode 03 ff, then speeds.
			name: "vibratissimo-rabbit", protocol: "vibratissimo", adv: "Vibratissimo", eps: vibratissimoEps,
			sim: vibratissimoSim{}, simIdent: "Rabbit", model: "Vibratissimo Rabbit",
			init: []b1Op{rd(comm.EndpointRxBLEModel)},
			steps: []b2Step{
				{out: vib(0, 200), want: []b1Op{wr("txmode", "03ff"), wr("txvibrate", "c80000")}},
				{out: vib(2, 2), want: []b1Op{wr("txmode", "03ff"), wr("txvibrate", "c80002")}},
			},
		},
		{ // vibratissimo.rs: one motor gets a second byte 00.
			name: "vibratissimo-one", protocol: "vibratissimo", adv: "Vibratissimo", eps: vibratissimoEps,
			sim: vibratissimoSim{}, simIdent: "", model: "Vibratissimo Device",
			init: []b1Op{rd(comm.EndpointRxBLEModel)},
			steps: []b2Step{
				{out: vib(0, 255), want: []b1Op{wr("txmode", "03ff"), wr("txvibrate", "ff00")}},
			},
		},
		{ // thehandy/mod.rs, handyplug.proto: Payload{Message{LinearCmd{id 2,
			// vectors [{index 0, duration, position/100}]}}}.
			name: "thehandy", protocol: "thehandy", adv: "The Handy", model: "The Handy",
			eps: []comm.Endpoint{comm.EndpointTx, comm.EndpointFirmware},
			steps: []b2Step{
				{out: move(50, 500), want: []b1Op{wr("tx", "0a139a191008021a0c10f40319000000000000e03f", "resp")}},
				{out: move(100, 1000), want: []b1Op{wr("tx", "0a139a191008021a0c10e80719000000000000f03f", "resp")}},
				{out: move(0, 250), want: []b1Op{wr("tx", "0a0a9a190708021a0310fa01", "resp")}},
				{out: vib(0, 1), fails: true},
			},
		},
		{ // thehandy_v3/mod.rs, handy_rpc.proto, messages.proto: battery
			// (710) and capabilities (713) requests at connect, then HVP set
			// (900, amplitude, 100 Hz) and stop (901), ids from 0.
			name: "thehandy-v3-oh", protocol: "thehandy-v3", adv: "OHD_hw1_A1B2", eps: []comm.Endpoint{comm.EndpointRx, comm.EndpointTx},
			sim: thehandyV3Sim{}, model: "The Oh!",
			init: []b1Op{b1Sub(comm.EndpointRx), wr("tx", "080112051001b22c00"), wr("tx", "080112051002ca2c00")},
			steps: []b2Step{
				{out: vib(0, 40), want: []b1Op{wr("tx", "0801120aa238070dcdcccc3e1064", "resp")}},
				{out: vib(0, 100), want: []b1Op{wr("tx", "0801120c1001a238070d0000803f1064", "resp")}},
				{out: vib(0, 0), want: []b1Op{wr("tx", "080112051002aa3800", "resp")}},
			},
		},
		{ // thehandy_v3/mod.rs: HDSP xp t (744), stop on target.
			name: "thehandy-v3-pro", protocol: "thehandy-v3", adv: "OHD_hw4_A1B2", eps: []comm.Endpoint{comm.EndpointRx, comm.EndpointTx},
			sim: thehandyV3Sim{}, model: "The Handy 2 Pro",
			init: []b1Op{b1Sub(comm.EndpointRx), wr("tx", "080112051001b22c00"), wr("tx", "080112051002ca2c00")},
			steps: []b2Step{
				{out: move(50, 500), want: []b1Op{wr("tx", "0801120dc22e0a0d0000003f10f4031801", "resp")}},
				{out: move(33, 1200), want: []b1Op{wr("tx", "0801120f1001c22e0a0dc3f5a83e10b0091801", "resp")}},
				{out: move(0, 300), want: []b1Op{wr("tx", "0801120a1002c22e0510ac021801", "resp")}},
			},
		},
		{ // buttplug-csharp Buttplug/Devices/Protocols/RealTouchProtocol.cs
			// and FleshlightHelper.cs: three init reports each followed by a
			// read, then 02 <dir> <speed> <duration LE>.
			name: "realtouch", protocol: "realtouch", adv: "RealTouch", eps: []comm.Endpoint{comm.EndpointRx, comm.EndpointTx},
			sim: realtouchSim{}, model: "RealTouch",
			init: []b1Op{
				wr("tx", zpad("", 65)), rd(comm.EndpointRx),
				wr("tx", zpad("000a", 65)), rd(comm.EndpointRx),
				wr("tx", zpad("000602a080e803", 65)), rd(comm.EndpointRx),
			},
			steps: []b2Step{
				// 0 → 99 in 500 ms: 40 + 215 × 250 × 450^-1.05 = 128.0.
				{out: move(99, 500), want: []b1Op{wr("tx", zpad("00022080f401", 65))}},
				// 99 → 49 (down) in 1 s: 60.7.
				{out: move(49, 1000), want: []b1Op{wr("tx", zpad("0002a03ce803", 65))}},
				// No time: the fastest.
				{out: move(0, 0), want: []b1Op{wr("tx", zpad("0002a0ff0000", 65))}},
				// 100 s is capped at 65535 ms.
				{out: move(99, 100000), want: []b1Op{wr("tx", zpad("00022028ffff", 65))}},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runB2(t, c) })
	}
}

// vibcrafter.rs: "Auth:Tst123;", the simulated toy's challenge
// "Chal:a1b2c3;" answered "Auth:4f32;" (SHA-256 of a1b2c3 starts 4f 32),
// then both motors in "MtInt:<m1><m2>;". Ciphertexts from openssl enc
// -aes-128-ecb with the key. The opening token is random, so the handshake
// runs with a fixed one.
func TestBatch2Vibcrafter(t *testing.T) {
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	rxtx := []comm.Endpoint{comm.EndpointRx, comm.EndpointTx}
	handshake := []b1Op{b1Sub(comm.EndpointRx), wr("tx", "6f304b415b95255574cafb08c642e219"), wr("tx", "66ef00f245c336a6914d194e1bf5c11f")}
	cases := []struct {
		adv   string
		steps []b2Step
	}{
		{"Janna", []b2Step{
			{out: vib(0, 50), want: []b1Op{wr("tx", "ebcc1addb0132340d51b7e97b61ca320")}}, // MtInt:5000;
			{out: vib(0, 0), want: []b1Op{wr("tx", "dff02f0df45b1f0721623f8cf1b96138")}},  // MtInt:0000;
		}},
		{"Hayden", []b2Step{
			{out: vib(0, 50), want: []b1Op{wr("tx", "ebcc1addb0132340d51b7e97b61ca320")}}, // MtInt:5000;
			{out: vib(1, 30), want: []b1Op{wr("tx", "87ad3df740fd3ce47645d973c2f7fb60")}}, // MtInt:5030;
		}},
	}
	for _, c := range cases {
		link := b2Link(c.adv, rxtx, vibcrafterSim{}, "")
		def, err := db.Resolve("vibcrafter", c.adv, "B2-"+c.adv)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		h, err := vibcrafter{token: func() string { return "Tst123" }}.init(ctx, link, def)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", c.adv, err)
		}
		b1SameOps(t, c.adv+" handshake", link.Ops(), handshake)
		b2Steps(t, h, c.steps)
	}

	// A toy that answers the handshake with something else is refused.
	rude := newB1Link("Janna")
	rude.onWrite = func(comm.Endpoint, []byte) []comm.Notification {
		return []comm.Notification{{Endpoint: comm.EndpointRx, Data: ecbEncrypt(vibcrafterKey, []byte("NO;"))}}
	}
	if _, err := (vibcrafter{token: vibcrafterToken}).init(context.Background(), rude, &config.Definition{}); !errors.Is(err, ErrBadReply) {
		t.Fatalf("rude answer: err = %v, want a bad reply", err)
	}
}

// A MonsterPub challenge with a key index out of range or too short is a
// bad reply, not a crash.
func TestBatch2MonsterpubBadChallenge(t *testing.T) {
	for _, ch := range [][]byte{nil, {4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {1, 2, 3}} {
		if _, err := monsterpubAuth(ch); !errors.Is(err, ErrBadReply) {
			t.Errorf("monsterpubAuth(%x) err = %v", ch, err)
		}
	}
}

// Identifiers as the reference computes them: fixed ones, a name cut at its
// first digit or at "_", a model read from the device ("Unknown" when it
// does not answer).
func TestBatch2Identify(t *testing.T) {
	cases := []struct {
		protocol, adv string
		link          *b1Link
		want          string
	}{
		{"prettylove", "Aogu BLE 0042", nil, "Aogu BLE"}, // prettylove.rs
		{"youou", "VX001_1234", nil, "VX001_"},           // youou.rs
		{"patoo", "PBT0815", nil, "PBT"},                 // patoo.rs
		{"patoo", "PTVEA", nil, "PTVEA"},
		{"thehandy-v3", "OHD_hw3_0001", nil, "hw3"}, // thehandy_v3/mod.rs
		{"thehandy-v3", "OHD_hw0", nil, "unknown"},
		{"mannuo", "LXCDVP", nil, "LXCDVP"},
		{"monsterpub", "MonsterPub", b2Link("MonsterPub", []comm.Endpoint{comm.EndpointRxBLEModel}, monsterpubSim{}, "MP_SUCKBANG_P5"), "MP_SUCKBANG_P5"}, // monsterpub.rs
		{"monsterpub", "MonsterPub", b2Link("MonsterPub", []comm.Endpoint{comm.EndpointRxBLEModel}, nil, ""), "Unknown"},
		{"vibratissimo", "Vibratissimo", b2Link("Vibratissimo", []comm.Endpoint{comm.EndpointRxBLEModel}, vibratissimoSim{}, "Licker"), "Licker"}, // vibratissimo.rs
	}
	for _, c := range cases {
		link := c.link
		if link == nil {
			link = newB1Link(c.adv)
		}
		f, _ := Lookup(c.protocol)
		got, err := f().Identify(context.Background(), link)
		if err != nil || got != c.want {
			t.Errorf("%s Identify(%q) = %q, %v; want %q", c.protocol, c.adv, got, err, c.want)
		}
	}
}

// Protocols that repeat their last packet say how often.
func TestBatch2Keepalives(t *testing.T) {
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]time.Duration{"sexverse-v3": 100 * time.Millisecond, "mysteryvibe-v2": 93 * time.Millisecond} {
		f, _ := Lookup(name)
		p := f()
		def, err := db.Resolve(name, "", "rec-keepalive")
		if err != nil {
			t.Fatal(err)
		}
		h, err := p.Init(context.Background(), newB1Link(name), def)
		if err != nil {
			t.Fatal(err)
		}
		k, ok := h.(Keepaliver)
		if !ok || k.KeepaliveInterval() != want {
			t.Errorf("%s: keepalive %v, want %v", name, k, want)
		}
	}
}

// joycon.rs (nintendo_joycon.rs): Rumble::into for 200 Hz at speed/1000,
// stop under 0.001; the third byte adds lf_amp itself (a u8 shift by 8
// wraps to 0). Expected values worked through in float32.
func TestBatch2JoyconRumble(t *testing.T) {
	cases := map[int32]string{
		0:    "00004140", // stop: frequency and amplitude 0
		1:    "00004140", // 0.001 is not above 0.001
		100:  "a8008a40", // amplitude formula of ≤ 0.12 goes negative, saturates to 0
		200:  "a838984e",
		500:  "a888ac62",
		1000: "a8c8bc72",
	}
	for v, rumble := range cases {
		want := zpad("1001"+rumble+rumble, 64)
		if got := hex.EncodeToString(joyconRumbleReport(v)); got != want {
			t.Errorf("report for %d:\n got %s\nwant %s", v, got, want)
		}
	}
}

// nintendo_joycon.rs: 01 00 ... 48 01 enables vibration, then the rumble
// report goes out every 15 ms until the handler closes.
func TestBatch2Joycon(t *testing.T) {
	link := newB1Link("Nintendo Joycon")
	f, _ := Lookup("nintendo-joycon")
	h, err := f().Init(context.Background(), link, &config.Definition{})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	waitFor := func(want b1Op) {
		t.Helper()
		for {
			ops := link.waitOps(t, seen+1, 5*time.Second)
			for _, op := range ops[seen:] {
				seen++
				if op.equal(want) {
					return
				}
			}
		}
	}
	waitFor(wr("tx", zpad("0100"+"0000000000000000"+"4801", 64)))
	waitFor(wr("tx", zpad("1001"+"00004140"+"00004140", 64)))
	cmds, err := h.Output(vib(0, 500))
	if err != nil || len(cmds) != 0 {
		t.Fatalf("Output = %v, %v; want the repeater to send", cmds, err)
	}
	waitFor(wr("tx", zpad("1001"+"a888ac62"+"a888ac62", 64)))
	waitFor(wr("tx", zpad("1001"+"a888ac62"+"a888ac62", 64)))
	h.(Closer).Close()
	n := len(link.Ops())
	time.Sleep(50 * time.Millisecond)
	if extra := len(link.Ops()) - n; extra != 0 {
		t.Fatalf("%d writes after Close", extra)
	}
	if _, err := h.Output(rot(0, 1)); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("rotate: %v", err)
	}
}

// The protocols left out on purpose (unimplemented.go) are in the
// configuration and stay unregistered, so their devices are reported but
// never half-connected.
func TestBatch2LeftOut(t *testing.T) {
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"xinput", "rez-trancevibrator"} {
		if !slices.Contains(db.Protocols(), p) {
			t.Errorf("%s is not in the configuration", p)
		}
		if _, ok := Lookup(p); ok {
			t.Errorf("%s is registered", p)
		}
	}
}
