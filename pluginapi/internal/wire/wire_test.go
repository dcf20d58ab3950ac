package wire

import (
	"bytes"
	"testing"

	"github.com/bphost/bphost/core/connector"
)

func TestBatch(t *testing.T) {
	small := []byte("[{}]")
	big := bytes.Repeat([]byte("x"), connector.MaxFrame)
	many := make([][]byte, MaxBatch+5)
	for i := range many {
		many[i] = small
	}
	tests := []struct {
		name      string
		first     []byte
		ready     [][]byte
		wantLen   int
		wantHeld  bool
		wantLeft  int // frames still in the queue after
		wantRestN int // length of the held frame
	}{
		{"alone", small, nil, 1, false, 0, 0},
		{"takes what is ready", small, [][]byte{small, small}, 3, false, 0, 0},
		{"at most MaxBatch", small, many, MaxBatch, false, 6, 0},
		{"a frame that does not fit is held", small, [][]byte{big, small}, 1, true, 1, len(big)},
		{"a big first frame goes alone", big, [][]byte{big}, 1, true, 0, len(big)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			left := append([][]byte(nil), tc.ready...)
			next := func() ([]byte, bool) {
				if len(left) == 0 {
					return nil, false
				}
				f := left[0]
				left = left[1:]
				return f, true
			}
			batch, rest, held := Batch(nil, tc.first, next)
			if len(batch) != tc.wantLen || held != tc.wantHeld || len(left) != tc.wantLeft || len(rest) != tc.wantRestN {
				t.Fatalf("batch %d held %v rest %d left %d; want %d %v %d %d",
					len(batch), held, len(rest), len(left), tc.wantLen, tc.wantHeld, tc.wantRestN, tc.wantLeft)
			}
			size := 0
			for _, f := range batch {
				size += len(f)
			}
			if size > BatchBytes {
				t.Fatalf("batch of %d bytes, limit %d", size, BatchBytes)
			}
		})
	}
}
