package server_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/device/devicetest"
	"github.com/bphost/bphost/core/protocol"
	"github.com/bphost/bphost/core/server"
)

// rawSession is a client session written by hand for one spec version:
// requests go out in one frame, replies are matched by Id, events (Id 0)
// are queued.
type rawSession struct {
	conn   connector.Connector
	dec    protocol.Decoder
	events chan protocol.Message
	done   chan struct{}

	mu      sync.Mutex
	next    uint32
	waiting map[uint32]chan protocol.Message
}

func openRaw(ctx context.Context, conn connector.Connector, v protocol.Version) (*rawSession, error) {
	if err := conn.Connect(ctx); err != nil {
		return nil, err
	}
	s := &rawSession{
		conn:    conn,
		dec:     protocol.Decoder{Version: v, Lenient: true},
		events:  make(chan protocol.Message, 1024),
		done:    make(chan struct{}),
		waiting: map[uint32]chan protocol.Message{},
	}
	go s.read()
	var rsi protocol.Message = &protocol.RequestServerInfoV1{ClientName: "raw vectors", MessageVersion: uint32(v)}
	if v == protocol.Version4 {
		rsi = &protocol.RequestServerInfo{ClientName: "raw vectors", ProtocolVersionMajor: 4}
	}
	if _, err := s.call(ctx, rsi); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *rawSession) read() {
	defer close(s.done)
	for {
		f, err := s.conn.Recv(context.Background())
		if err != nil {
			return
		}
		msgs, err := s.dec.Decode(f)
		if err != nil {
			continue // the request it answers times out
		}
		for _, m := range msgs {
			if m.MessageID() == 0 {
				s.events <- m
				continue
			}
			s.mu.Lock()
			ch := s.waiting[m.MessageID()]
			delete(s.waiting, m.MessageID())
			s.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}
}

// call sends msgs in one frame and returns their replies; an Error reply
// is returned as the error.
func (s *rawSession) call(ctx context.Context, msgs ...protocol.Message) ([]protocol.Message, error) {
	chans := make([]chan protocol.Message, len(msgs))
	s.mu.Lock()
	for i, m := range msgs {
		s.next++
		m.SetMessageID(s.next)
		chans[i] = make(chan protocol.Message, 1)
		s.waiting[s.next] = chans[i]
	}
	s.mu.Unlock()
	frame, err := protocol.Encode(msgs...)
	if err != nil {
		return nil, err
	}
	if err := s.conn.Send(ctx, frame); err != nil {
		return nil, err
	}
	replies := make([]protocol.Message, len(msgs))
	var first error
	for i, ch := range chans {
		select {
		case replies[i] = <-ch:
			if e, ok := replies[i].(*protocol.Error); ok && first == nil {
				first = e
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.done:
			return nil, connector.ErrDisconnected
		}
	}
	return replies, first
}

func (s *rawSession) close() {
	s.conn.Close()
	<-s.done
}

// rawVectorClient runs vectors with a rawSession of spec v4, v2 or v1.
type rawVectorClient struct {
	srv *server.Server
	s   *rawSession
	v   protocol.Version

	mu    sync.Mutex
	infos map[uint32]protocol.DeviceInfo // spec v4 devices
	added []devicetest.AddedDevice
}

func rawClient(v protocol.Version) devicetest.ClientFactory {
	return func(ctx context.Context, env *devicetest.Env) (devicetest.Client, error) {
		srv := server.New(server.FromDeviceManager(env.Manager))
		s, err := openRaw(ctx, srv.Connector(), v)
		if err != nil {
			srv.Close()
			return nil, err
		}
		return &rawVectorClient{srv: srv, s: s, v: v, infos: map[uint32]protocol.DeviceInfo{}}, nil
	}
}

func (c *rawVectorClient) StartScanning(ctx context.Context) error {
	_, err := c.s.call(ctx, &protocol.StartScanning{})
	return err
}

func (c *rawVectorClient) WaitDevices(ctx context.Context, n int) ([]devicetest.AddedDevice, error) {
	for {
		c.mu.Lock()
		if len(c.added) >= n {
			out := append([]devicetest.AddedDevice(nil), c.added...)
			c.mu.Unlock()
			return out, nil
		}
		c.mu.Unlock()
		select {
		case ev := <-c.s.events:
			c.mu.Lock()
			switch ev := ev.(type) {
			case *protocol.DeviceList:
				idx := make([]uint32, 0, len(ev.Devices))
				for i := range ev.Devices {
					idx = append(idx, i)
				}
				sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
				for _, i := range idx {
					info := ev.Devices[i]
					if _, known := c.infos[i]; !known {
						c.added = append(c.added, devicetest.AddedDevice{Index: i, Name: info.DeviceName, DisplayName: info.DeviceDisplayName})
					}
					c.infos[i] = info
				}
			case *protocol.DeviceAddedV2:
				c.added = append(c.added, devicetest.AddedDevice{Index: ev.DeviceIndex, Name: ev.DeviceName})
			case *protocol.DeviceAddedV1:
				c.added = append(c.added, devicetest.AddedDevice{Index: ev.DeviceIndex, Name: ev.DeviceName})
			}
			c.mu.Unlock()
		case <-c.s.done:
			return nil, connector.ErrDisconnected
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d device(s) added: %w", len(c.added), n, ctx.Err())
		}
	}
}

// v4Features lists a spec v4 device's features with their outputs, in
// index order.
func (c *rawVectorClient) v4Features(index uint32) ([]protocol.Feature, error) {
	c.mu.Lock()
	info, ok := c.infos[index]
	c.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no device %d", index)
	}
	fs := make([]protocol.Feature, 0, len(info.DeviceFeatures))
	for _, f := range info.DeviceFeatures {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].FeatureIndex < fs[j].FeatureIndex })
	return fs, nil
}

func featuresWithOutput(fs []protocol.Feature, t protocol.OutputType, signedOnly bool) []protocol.Feature {
	var out []protocol.Feature
	for _, f := range fs {
		if o, ok := f.Output[t]; ok && (!signedOnly || o.Value.Min() < 0) {
			out = append(out, f)
		}
	}
	return out
}

func (c *rawVectorClient) Send(ctx context.Context, index uint32, msg devicetest.Message) error {
	if c.v == protocol.Version4 {
		return c.sendV4(ctx, index, msg)
	}
	var m protocol.Message
	switch msg.Kind {
	case devicetest.MsgStop:
		m = &protocol.StopDeviceCmd{DeviceIndex: index}
	case devicetest.MsgVibrate:
		v := &protocol.VibrateCmd{DeviceIndex: index}
		for _, s := range msg.Subs {
			v.Speeds = append(v.Speeds, protocol.VibrateSpeed{Index: s.Index, Speed: s.Value})
		}
		m = v
	case devicetest.MsgRotate:
		r := &protocol.RotateCmd{DeviceIndex: index}
		for _, s := range msg.Subs {
			r.Rotations = append(r.Rotations, protocol.RotateSubcommand{Index: s.Index, Speed: s.Value, Clockwise: s.Clockwise})
		}
		m = r
	case devicetest.MsgLinear:
		l := &protocol.LinearCmd{DeviceIndex: index}
		for _, s := range msg.Subs {
			l.Vectors = append(l.Vectors, protocol.LinearVector{Index: s.Index, Duration: s.Duration, Position: s.Value})
		}
		m = l
	default:
		return fmt.Errorf("%s has no spec %s message", msg.Kind, c.v)
	}
	_, err := c.s.call(ctx, m)
	return err
}

func (c *rawVectorClient) sendV4(ctx context.Context, index uint32, msg devicetest.Message) error {
	if msg.Kind == devicetest.MsgStop {
		_, err := c.s.call(ctx, &protocol.StopCmd{DeviceIndex: &index})
		return err
	}
	fs, err := c.v4Features(index)
	if err != nil {
		return err
	}
	var cmds []protocol.Message
	for _, s := range msg.Subs {
		var feats []protocol.Feature
		var t protocol.OutputType
		switch msg.Kind {
		case devicetest.MsgVibrate:
			t = protocol.OutputVibrate
			feats = featuresWithOutput(fs, t, false)
		case devicetest.MsgRotate:
			t = protocol.OutputRotate
			if feats = featuresWithOutput(fs, t, true); len(feats) == 0 {
				feats = featuresWithOutput(fs, t, false)
			}
		case devicetest.MsgLinear:
			t = protocol.OutputHwPositionWithDuration
			feats = featuresWithOutput(fs, t, false)
		case devicetest.MsgScalar:
			t = protocol.OutputType(s.ActuatorType)
			for _, f := range fs {
				for _, st := range scalarOrder {
					if _, ok := f.Output[st]; ok {
						feats = append(feats, f)
					}
				}
			}
		default:
			return fmt.Errorf("unsupported message %s", msg.Kind)
		}
		if int(s.Index) >= len(feats) {
			return fmt.Errorf("%s index %d: the device has %d", msg.Kind, s.Index, len(feats))
		}
		f := feats[s.Index]
		steps, err := protocol.Steps(s.Value, protocol.Range{0, f.Output[t].Value.Max()})
		if err != nil {
			return err
		}
		if msg.Kind == devicetest.MsgRotate && !s.Clockwise {
			steps = -steps
		}
		cmds = append(cmds, &protocol.OutputCmd{DeviceIndex: index, FeatureIndex: f.FeatureIndex,
			Command: protocol.OutputCommand{Type: t, Value: steps, Duration: s.Duration}})
	}
	_, err = c.s.call(ctx, cmds...)
	return err
}

// readV4 reads the first input of type t.
func (c *rawVectorClient) readV4(ctx context.Context, index uint32, t protocol.InputType) (int32, error) {
	fs, err := c.v4Features(index)
	if err != nil {
		return 0, err
	}
	for _, f := range fs {
		if _, ok := f.Input[t]; ok {
			replies, err := c.s.call(ctx, &protocol.InputCmd{DeviceIndex: index, FeatureIndex: f.FeatureIndex, Type: t, Command: protocol.InputCommandRead})
			if err != nil {
				return 0, err
			}
			r, ok := replies[0].(*protocol.InputReading)
			if !ok {
				return 0, fmt.Errorf("reply %s", replies[0].MessageName())
			}
			return r.Reading.Value, nil
		}
	}
	return 0, fmt.Errorf("device %d has no %s input", index, t)
}

func (c *rawVectorClient) Battery(ctx context.Context, index uint32) (float64, error) {
	switch c.v {
	case protocol.Version4:
		v, err := c.readV4(ctx, index, protocol.InputBattery)
		return float64(v) / 100, err
	case protocol.Version2:
		replies, err := c.s.call(ctx, &protocol.BatteryLevelCmd{DeviceIndex: index})
		if err != nil {
			return 0, err
		}
		if r, ok := replies[0].(*protocol.BatteryLevelReading); ok {
			return r.BatteryLevel, nil
		}
		return 0, fmt.Errorf("reply %s", replies[0].MessageName())
	}
	return 0, errors.New("no battery message in spec v1")
}

func (c *rawVectorClient) RSSI(ctx context.Context, index uint32) (int32, error) {
	if c.v == protocol.Version4 {
		return c.readV4(ctx, index, protocol.InputRssi)
	}
	return 0, fmt.Errorf("no RSSI message served in spec %s", c.v)
}

func (c *rawVectorClient) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.s.call(ctx, c.stopAll())
	c.s.close()
	c.srv.Close()
	return err
}

func (c *rawVectorClient) stopAll() protocol.Message {
	if c.v == protocol.Version4 {
		return &protocol.StopCmd{}
	}
	return &protocol.StopAllDevices{}
}
