package client_test

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector"
)

// benchDevice is a one-vibrator spec v4 device list, %d is the reply id.
const benchDeviceList = `[{"DeviceList":{"Id":ID,"Devices":{"0":{"DeviceIndex":0,"DeviceName":"Bench Toy","DeviceMessageTimingGap":0,"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescription":"","Output":{"Vibrate":{"Value":[0,20]}}}}}}}}]`

// respond is a minimal spec v4 server: it answers the handshake and the
// device list, and Ok to everything else, reading only the name and Id of
// each frame. It returns when the pipe closes.
func respond(end *connector.PipeEnd) {
	ctx := context.Background()
	var reply []byte
	for {
		f, err := end.Recv(ctx)
		if err != nil {
			return
		}
		name, id := peek(f)
		reply = reply[:0]
		switch name {
		case "RequestServerInfo":
			reply = append(reply, `[{"ServerInfo":{"Id":`...)
			reply = append(reply, id...)
			reply = append(reply, `,"ServerName":"bench","ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"MaxPingTime":0}}]`...)
		case "RequestDeviceList":
			reply = append(reply, bytes.Replace([]byte(benchDeviceList), []byte("ID"), id, 1)...)
		default:
			reply = append(reply, `[{"Ok":{"Id":`...)
			reply = append(reply, id...)
			reply = append(reply, `}}]`...)
		}
		if err := end.Send(ctx, reply); err != nil {
			return
		}
	}
}

// peek returns the first message's name and Id digits of a frame.
func peek(f []byte) (name string, id []byte) {
	if len(f) > 3 {
		if i := bytes.IndexByte(f[3:], '"'); i >= 0 {
			name = string(f[3 : 3+i])
		}
	}
	if i := bytes.Index(f, []byte(`"Id":`)); i >= 0 {
		rest := f[i+5:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		id = rest[:j]
	}
	return name, id
}

func benchClient(b *testing.B) (*client.Client, *client.Device) {
	b.Helper()
	a, srv := connector.Pipe(0)
	done := make(chan struct{})
	go func() { defer close(done); respond(srv) }()
	c := client.New("bench")
	ctx := context.Background()
	if err := c.Connect(ctx, a); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = c.Disconnect(ctx)
		srv.Close()
		<-done
	})
	d, ok := c.Device(0)
	if !ok {
		b.Fatal("no device")
	}
	return c, d
}

// One vibrate at a time: encode, send, the server's reply, decode, match.
func BenchmarkVibrateRoundTrip(b *testing.B) {
	_, d := benchClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Vibrate(ctx, client.Fraction(0.5)); err != nil {
			b.Fatal(err)
		}
	}
}

// Eight goroutines share one client, so requests overlap on the connection.
func BenchmarkVibratePipelined8(b *testing.B) {
	_, d := benchClient(b)
	ctx := context.Background()
	const goroutines = 8
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for g := range goroutines {
		n := b.N / goroutines
		if g < b.N%goroutines {
			n++
		}
		wg.Go(func() {
			for range n {
				if err := d.Vibrate(ctx, client.Steps(int32(g))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// The same exchange over the bare pipe, without the client: the floor the
// client's overhead is measured against.
func BenchmarkPipeRoundTripBaseline(b *testing.B) {
	a, srv := connector.Pipe(0)
	done := make(chan struct{})
	go func() { defer close(done); respond(srv) }()
	defer func() { a.Close(); <-done }()
	ctx := context.Background()
	var frame []byte
	id := 0
	b.ReportAllocs()
	for b.Loop() {
		id++
		frame = append(frame[:0], `[{"OutputCmd":{"Id":`...)
		frame = strconv.AppendInt(frame, int64(id), 10)
		frame = append(frame, `,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]`...)
		if err := a.Send(ctx, frame); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Recv(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
