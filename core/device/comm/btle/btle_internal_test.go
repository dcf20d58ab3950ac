package btle

import (
	"reflect"
	"testing"

	"github.com/bphost/bphost/core/device/comm"
)

func TestMapEndpoints(t *testing.T) {
	have := map[string][]string{
		"5a300001-0024-4bd4-bbd5-a6920e4c5653": {"5a300002-0024-4bd4-bbd5-a6920e4c5653", "5a300003-0024-4bd4-bbd5-a6920e4c5653"},
		"0000180f-0000-1000-8000-00805f9b34fb": {"00002a19-0000-1000-8000-00805f9b34fb"},
	}
	tests := []struct {
		name string
		want comm.ServiceMap
		got  map[comm.Endpoint]gattChar
	}{
		{
			name: "tx and rx of one service, upper-case config UUIDs",
			want: comm.ServiceMap{"5A300001-0024-4BD4-BBD5-A6920E4C5653": {
				comm.EndpointTx: "5A300002-0024-4BD4-BBD5-A6920E4C5653",
				comm.EndpointRx: "5a300003-0024-4bd4-bbd5-a6920e4c5653",
			}},
			got: map[comm.Endpoint]gattChar{
				comm.EndpointTx: {"5a300001-0024-4bd4-bbd5-a6920e4c5653", "5a300002-0024-4bd4-bbd5-a6920e4c5653"},
				comm.EndpointRx: {"5a300001-0024-4bd4-bbd5-a6920e4c5653", "5a300003-0024-4bd4-bbd5-a6920e4c5653"},
			},
		},
		{
			name: "alternative services: only the one the device has maps",
			want: comm.ServiceMap{
				"50300001-0024-4bd4-bbd5-a6920e4c5653": {comm.EndpointTx: "50300002-0024-4bd4-bbd5-a6920e4c5653"},
				"0000180f-0000-1000-8000-00805f9b34fb": {comm.EndpointRxBLEBattery: "00002a19-0000-1000-8000-00805f9b34fb"},
			},
			got: map[comm.Endpoint]gattChar{
				comm.EndpointRxBLEBattery: {"0000180f-0000-1000-8000-00805f9b34fb", "00002a19-0000-1000-8000-00805f9b34fb"},
			},
		},
		{
			name: "a characteristic the service lacks is left out",
			want: comm.ServiceMap{"5a300001-0024-4bd4-bbd5-a6920e4c5653": {
				comm.EndpointTx:      "5a300002-0024-4bd4-bbd5-a6920e4c5653",
				comm.EndpointTxShock: "5a3000ff-0024-4bd4-bbd5-a6920e4c5653",
			}},
			got: map[comm.Endpoint]gattChar{
				comm.EndpointTx: {"5a300001-0024-4bd4-bbd5-a6920e4c5653", "5a300002-0024-4bd4-bbd5-a6920e4c5653"},
			},
		},
		{
			name: "nothing in common",
			want: comm.ServiceMap{"deadbeef-0000-1000-8000-00805f9b34fb": {comm.EndpointTx: "deadbeef-0001-1000-8000-00805f9b34fb"}},
			got:  map[comm.Endpoint]gattChar{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mapEndpoints(have, tt.want); !reflect.DeepEqual(got, tt.got) {
				t.Fatalf("mapEndpoints = %v, want %v", got, tt.got)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	base := comm.Advertisement{Name: "LVS-Z36", Services: []string{"b", "a"}, ManufacturerData: map[uint16][]byte{620: {1}, 2: {3}}}
	same := comm.Advertisement{Name: "LVS-Z36", Services: []string{"a", "b"}, ManufacturerData: map[uint16][]byte{2: {3}, 620: {1}}}
	if fingerprint(base) != fingerprint(same) {
		t.Fatalf("the order of services or manufacturer data changed the fingerprint")
	}
	for name, other := range map[string]comm.Advertisement{
		"name":              {Name: "LVS-Z37", Services: base.Services, ManufacturerData: base.ManufacturerData},
		"services":          {Name: base.Name, Services: []string{"a"}, ManufacturerData: base.ManufacturerData},
		"manufacturer data": {Name: base.Name, Services: base.Services, ManufacturerData: map[uint16][]byte{620: {2}, 2: {3}}},
	} {
		if fingerprint(other) == fingerprint(base) {
			t.Errorf("a change of %s kept the fingerprint", name)
		}
	}
}
