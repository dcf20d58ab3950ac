package embedded_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/embedded"
)

func TestDeviceRecordString(t *testing.T) {
	for _, tt := range []struct {
		rec  embedded.DeviceRecord
		want string
	}{
		{embedded.DeviceRecord{Kind: "write", Endpoint: "tx", Data: []byte("Vibrate:10;")}, `write tx "Vibrate:10;"`},
		{embedded.DeviceRecord{Kind: "write", Endpoint: "tx", Data: []byte{1, 1, 0x9e}}, "write tx [01 01 9e]"},
		{embedded.DeviceRecord{Kind: "subscribe", Endpoint: "rx"}, "subscribe rx"},
	} {
		if got := tt.rec.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.rec, got, tt.want)
		}
	}
}

// What a stream writes, ReadRecords reads back field for field.
func TestRecordStreamRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	s := embedded.NewRecordStream(&buf, 8)
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	want := []embedded.DeviceRecord{
		embedded.NewDeviceRecord("Lovense Hush", "sim-1", simulated.Record{Kind: simulated.RecordWrite, Endpoint: "tx", Data: []byte("Vibrate:10;"), Time: at}),
		embedded.NewDeviceRecord("Vorze A10 Cyclone SA", "sim-2", simulated.Record{Kind: simulated.RecordWrite, Endpoint: "tx", Data: []byte{1, 1, 0x9e}, WithResponse: true, Time: at}),
	}
	for _, r := range want {
		s.Send(r)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Send(want[0]) // after Close: dropped silently
	var got []embedded.DeviceRecord
	if err := embedded.ReadRecords(&buf, func(r embedded.DeviceRecord) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.V != embedded.RecordVersion || g.Device != w.Device || g.Address != w.Address || g.Kind != w.Kind ||
			g.Endpoint != w.Endpoint || !bytes.Equal(g.Data, w.Data) || g.WithResponse != w.WithResponse || !g.Time.Equal(w.Time) {
			t.Errorf("record %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestReadRecordsRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		is       error
	}{
		{"another version", `{"v":2,"device":"x","kind":"write","endpoint":"tx"}` + "\n", embedded.ErrRecordVersion},
		{"no version", `{"device":"x"}` + "\n", embedded.ErrRecordVersion},
		{"not JSON", "simulated device received\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := embedded.ReadRecords(strings.NewReader(tt.in), func(embedded.DeviceRecord) { t.Error("record delivered") })
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("error %v, want %v", err, tt.is)
			}
		})
	}
}

// A stream whose reader is gone reports it on Close instead of blocking.
func TestRecordStreamReaderGone(t *testing.T) {
	s := embedded.NewRecordStream(failWriter{}, 4)
	s.Send(embedded.DeviceRecord{V: 1})
	if err := s.Close(); err == nil {
		t.Fatal("no error from a stream whose writes failed")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, net.ErrClosed }

// A listener hands every record of every stream to its function.
func TestListenRecords(t *testing.T) {
	var mu sync.Mutex
	var got []string
	seen := make(chan struct{}, 4)
	l, err := embedded.ListenRecords(func(r embedded.DeviceRecord) {
		mu.Lock()
		got = append(got, r.Device+" "+r.String())
		mu.Unlock()
		seen <- struct{}{}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", l.Path())
	if err != nil {
		t.Fatal(err)
	}
	s := embedded.NewRecordStream(c, 4)
	s.Send(embedded.NewDeviceRecord("Lovense Hush", "a", simulated.Record{Kind: simulated.RecordWrite, Endpoint: "tx", Data: []byte("Vibrate:10;")}))
	select {
	case <-seen:
	case <-ctx.Done():
		t.Fatal("record never arrived")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != `Lovense Hush write tx "Vibrate:10;"` {
		t.Fatalf("got %q", got)
	}
}

func FuzzReadRecords(f *testing.F) {
	f.Add([]byte(`{"v":1,"device":"Lovense Hush","kind":"write","endpoint":"tx","data":"VmlicmF0ZToxMDs=","time":"2026-12-02T03:00:00Z"}` + "\n"))
	f.Add([]byte(`{"v":2}` + "\n"))
	f.Add([]byte("\n\n{"))
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = embedded.ReadRecords(bytes.NewReader(in), func(r embedded.DeviceRecord) {
			if r.V != embedded.RecordVersion {
				t.Fatalf("delivered a record of version %d", r.V)
			}
			_ = r.String()
		})
	})
}
