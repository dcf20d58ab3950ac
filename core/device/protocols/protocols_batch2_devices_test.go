package protocols_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/protocols"
)

// b2Protocols are the protocols of the second half (mannuo … zalo);
// xinput and rez-trancevibrator are deliberately not implemented (see
// unimplemented.go); muse, sayberx and twerkingbutt are tested in
// noreference_test.go.
var b2Protocols = []string{
	"mannuo", "maxpro", "monsterpub", "mymuselinkplus", "mysteryvibe-v2", "nextlevelracing", "nintendo-joycon",
	"patoo", "picobong", "prettylove", "realov", "realtouch", "sexverse-v3", "svakom-avaneo", "svakom-barney",
	"svakom-dice", "svakom-dt250a", "svakom-jordan", "svakom-sam", "svakom-suitcase", "svakom-tarax", "svakom-v4",
	"thehandy", "thehandy-v3", "vibcrafter", "vibratissimo", "vorze-cyclone-x", "youcups", "youou", "zalo",
}

// b2NLRUserConfig gives the Next Level Racing pad a serial port of its own:
// on the configuration's "default" port it is one of several serial
// protocols, and a device there could not say which it is.
const b2NLRUserConfig = `{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"nextlevelracing":{"communication":[
	{"serial":{"port":"/dev/ttyNLR","baud_rate":115200,"data_bits":8,"stop_bits":1,"parity":"N"}}]}}}}`

// Every configured model of these protocols (BLE, serial and HID),
// simulated, connects through the device manager as that model and takes a
// command on its first output.
func TestBatch2EveryModelConnectsAndTakesACommand(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	db, err := config.Load(nil, &config.Source{Name: "user.json", Data: []byte(b2NLRUserConfig)})
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]bool{}
	for _, p := range b2Protocols {
		if _, ok := protocols.Lookup(p); !ok {
			t.Errorf("%s not registered", p)
		}
		mine[p] = true
	}
	var defs []*config.Definition
	covered := map[string]bool{}
	for _, def := range db.Definitions() {
		if mine[def.Protocol] {
			defs = append(defs, def)
			covered[def.Protocol] = true
		}
	}
	if len(covered) != len(b2Protocols) {
		t.Fatalf("models of %d protocols configured, want %d", len(covered), len(b2Protocols))
	}
	b1Simulate(t, db, defs)
}
