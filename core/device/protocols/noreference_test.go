package protocols

import (
	"testing"
	"time"

	"github.com/bphost/bphost/core/protocol"
)

// Protocols buttplug-rs 10.x does not implement (see their files for what
// each is built from): bytes for each output, nothing on connect.

func TestSayberXBytes(t *testing.T) {
	// stpihkal #66: "AT+SPD" then 30-34 and 30.
	h := b1Connect(t, "sayberx", newB1Link("SayberX"), "SayberX", nil)
	spd := func(tens byte) []b1Op {
		return []b1Op{b1Write(b1Tx, false, 0x41, 0x54, 0x2b, 0x53, 0x50, 0x44, tens, 0x30)}
	}
	b1Run(t, h, []b1Step{
		{b1Out(b1Vibrate, 0, 1), spd(0x31)},
		{b1Out(b1Vibrate, 0, 4), spd(0x34)},
		{b1Out(b1Vibrate, 0, 2), spd(0x32)},
		{b1Out(b1Vibrate, 0, 0), spd(0x30)},
	})
	if _, err := h.Output(b1Out(b1Vibrate, 0, 5)); err == nil {
		t.Error("speed 5 encoded")
	}
	if _, err := h.Output(b1Out(b1Rotate, 0, 1)); err == nil {
		t.Error("rotate encoded")
	}
}

func TestMuseBytes(t *testing.T) {
	// stpihkal #65: <speed> <non-zero> is speed control; speed 0 stops.
	for _, c := range []struct{ name, model string }{
		{"WB-ZDB-WST", "Dream Lover Archer 2"},
		{"WB-TDD", "Galaku Panty Vib"},
	} {
		t.Run(c.model, func(t *testing.T) {
			h := b1Connect(t, "muse", newB1Link(c.name), c.model, nil)
			b1Run(t, h, []b1Step{
				{b1Out(b1Vibrate, 0, 1), []b1Op{b1Write(b1Tx, false, 0x01, 0x01)}},
				{b1Out(b1Vibrate, 0, 9), []b1Op{b1Write(b1Tx, false, 0x09, 0x01)}},
				{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0x00, 0x01)}},
			})
			// A speed lasts about a second: it must be repeated sooner.
			k, ok := h.(Keepaliver)
			if !ok {
				t.Fatal("no keepalive")
			}
			if iv := k.KeepaliveInterval(); iv <= 0 || iv >= time.Second {
				t.Errorf("keepalive every %v", iv)
			}
		})
	}
}

// Devices the configuration gives no features connect without a word and
// refuse any output.
func TestNoOutputProtocols(t *testing.T) {
	for _, c := range []struct{ proto, name, model string }{
		{"libo-karen", "SuoYinQiu", "Libo Karen"},
		{"twerkingbutt", "Twerking Butt", "Twerking Butt"},
		{"twerkingbutt", "BODIKANG", "Twerking Butt"},
		{"sayberx", "X-Ring 0F313B", "Sayber X-Ring"},
	} {
		t.Run(c.proto+"/"+c.name, func(t *testing.T) {
			link := newB1Link(c.name)
			h := b1Connect(t, c.proto, link, c.model, nil)
			if _, err := h.Output(b1Out(protocol.OutputVibrate, 0, 1)); err == nil {
				t.Error("vibrate encoded")
			}
			if ops := link.Ops(); len(ops) != 0 {
				t.Errorf("talked to the device: %v", ops)
			}
		})
	}
}
