package protocols

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
)

// The security handshake reads notifications as the reference does per
// family (lelof1sv2.rs: exact 8-byte states; lelo_harmony.rs: any zero run
// waits). Each case fails on the earlier shared reading, which treated
// every zero run as "waiting" and 01 plus any zeros as "authorised", and an
// empty notification as a password.
func TestLeloSecurityStates(t *testing.T) {
	authed := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	wl := comm.EndpointWhitelist
	cases := []struct {
		proto, name, model string
		first              []byte
		want               []b1Op
	}{
		// Harmony: an empty notification is "not authorised yet": nothing
		// is written back.
		{"lelo-harmony", "TOR3", "Lelo Tor 3", []byte{}, []b1Op{b1Sub(wl)}},
		// F1s v2: four zero bytes are not the 8-byte "not authorised"
		// state but a password, written back between unsubscribe and
		// subscribe, with response.
		{"lelo-f1sv2", "F1SV2A", "Lelo F1s V2", []byte{0, 0, 0, 0}, []b1Op{
			b1Sub(wl), {Kind: "unsubscribe", Endpoint: wl}, b1Write(wl, true, 0, 0, 0, 0), b1Sub(wl),
		}},
		// F1s v2: 01 00 00 00 is a password too, not "authorised".
		{"lelo-f1sv2", "F1SV2A", "Lelo F1s V2", []byte{1, 0, 0, 0}, []b1Op{
			b1Sub(wl), {Kind: "unsubscribe", Endpoint: wl}, b1Write(wl, true, 1, 0, 0, 0), b1Sub(wl),
		}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%x", c.proto, c.first), func(t *testing.T) {
			link := newB1Link(c.name)
			subs := 0
			link.onSubscribe = func(ep comm.Endpoint) []comm.Notification {
				subs++
				if subs == 1 {
					return []comm.Notification{{Endpoint: ep, Data: c.first}, {Endpoint: ep, Data: authed}}
				}
				return []comm.Notification{{Endpoint: ep, Data: authed}}
			}
			db, err := config.Default()
			if err != nil {
				t.Fatal(err)
			}
			def, err := db.Resolve(c.proto, c.name, link.Address())
			if err != nil || def.Name != c.model {
				t.Fatalf("resolve: %v %v", def, err)
			}
			f, _ := Lookup(c.proto)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := f().Init(ctx, link, def); err != nil {
				t.Fatal(err)
			}
			b1SameOps(t, "handshake", link.Ops(), c.want)
		})
	}
}
