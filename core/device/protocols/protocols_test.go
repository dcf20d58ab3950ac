package protocols

import (
	"bytes"
	"testing"

	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Every registered protocol is a protocol of the official configuration, so
// devices can be matched to it.
func TestRegisteredProtocolsAreConfigured(t *testing.T) {
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, p := range db.Protocols() {
		known[p] = true
	}
	for _, name := range Registered() {
		if !known[name] {
			t.Errorf("protocol %q is registered but not in the device configuration", name)
		}
		f, _ := Lookup(name)
		if f() == nil {
			t.Errorf("protocol %q factory returned nil", name)
		}
	}
	if n := len(Registered()); n < 80 {
		t.Errorf("%d protocols registered", n)
	}
}

func TestLovenseModel(t *testing.T) {
	cases := map[string]string{
		"Z:11:0082059AD3BD;":  "Z",
		"EI:02:0082059AD3BD;": "EI",
		"EI:03:0082059AD3BD;": "EI-FW3",
		"WD:252:00;":          "WD",
		"garbage":             "",
	}
	for in, want := range cases {
		if got := lovenseModel(in); got != want {
			t.Errorf("lovenseModel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChecksums(t *testing.T) {
	// From the Galaku vector: vibrate at speed 0.
	want := []byte{0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x3b, 0x23, 0xbb, 0xa3, 0x3b, 0x90}
	if got := galakuPacket([]byte{90, 0, 0, 1, 49, 0, 0, 0, 0, 0}); !bytes.Equal(got, want) {
		t.Errorf("galakuPacket = %x, want %x", got, want)
	}
	// CRC-16/XMODEM check value.
	if got := crc16xmodem([]byte("123456789")); got != 0x31c3 {
		t.Errorf("crc16xmodem = %#x, want 0x31c3", got)
	}
	if got := tryfunSum([]byte{0xaa, 0x02, 0x07, 0x0a}, 0); got != 0xff-0x02-0x07-0x0a+3 {
		t.Errorf("tryfunSum = %#x", got)
	}
}

func TestFlufferCipherRoundTrip(t *testing.T) {
	for _, msg := range [][]byte{{0x82, 0x0f, 0x05, 0x00, 20, 0, 0, 0}, make([]byte, 16), {1}} {
		enc := flufferEncrypt(msg)
		if len(enc)%16 != 0 {
			t.Fatalf("ciphertext of %d bytes", len(enc))
		}
		dec, err := flufferDecrypt(enc)
		if err != nil || !bytes.Equal(dec, msg) {
			t.Fatalf("round trip %x -> %x, %v", msg, dec, err)
		}
	}
	if _, err := flufferDecrypt([]byte{1, 2, 3}); err == nil {
		t.Error("short ciphertext accepted")
	}
}

func TestMizzZeeV3Scale(t *testing.T) {
	// From the Mizz Zee v3 vector: half of [0, 1000].
	want := []byte{3, 18, 243, 0, 252, 0, 254, 64, 1, 60, 166, 0, 252, 0, 254, 64, 1, 60, 166, 0}
	got := mizzzeeV3Packet(Output{Type: protocol.OutputVibrate, Value: 500})
	if !bytes.Equal(got, want) {
		t.Errorf("packet %v, want %v", got, want)
	}
}

func TestCommandOverlap(t *testing.T) {
	a := Write("tx", nil, false, 0, 1)
	b := Write("tx", nil, false, 1)
	c := Write("tx", nil, false, 2)
	if !a.Overlaps(b) || a.Overlaps(c) || a.Overlaps(Command{Kind: CmdSubscribe, Features: []uint32{0}}) {
		t.Error("overlap")
	}
	if ProtocolKey(0) == 0 || ProtocolKey(1) == ProtocolKey(0) {
		t.Error("protocol keys")
	}
}
