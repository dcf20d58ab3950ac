package protocols

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Kiiroo v1 (Pearl, Onyx): ASCII "<n>,\n" on tx, n 0-4. Connecting
// subscribes rx (the Onyx does not work otherwise), writes 01 00 to the
// command endpoint to select the mode and "0," to tx to go to the start
// position, both with response.
//
// The Pearl's n is its vibration level. The Onyx's n is a position counted
// from the other end (4 - requested): a goroutine moves it towards the
// requested position over the requested duration, writing every 50 ms
// while moving, and repeats the position every half second while idle to
// keep the link alive. A write that fails is tried again a tick later; only
// a disconnect ends the goroutine.
const (
	kiirooV1Top   = 4
	kiirooV1Tick  = 50 * time.Millisecond
	kiirooV1Ping  = 500 * time.Millisecond
	kiirooV1Start = "0,"
)

func init() {
	Register("kiiroo-v1", func() Protocol { return kiirooV1{} })
}

func kiirooV1Packet(n int32) []byte { return []byte(strconv.Itoa(int(n)) + ",\n") }

type kiirooV1 struct{}

func (kiirooV1) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (kiirooV1) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return nil, fmt.Errorf("kiiroo-v1: subscribe rx: %w", err)
	}
	if err := link.Write(ctx, comm.EndpointCommand, []byte{0x01, 0x00}, true); err != nil {
		return nil, fmt.Errorf("kiiroo-v1: select mode: %w", err)
	}
	if err := link.Write(ctx, comm.EndpointTx, []byte(kiirooV1Start), true); err != nil {
		return nil, fmt.Errorf("kiiroo-v1: go to start: %w", err)
	}
	for _, f := range def.Features {
		if f.Output(protocol.OutputHwPositionWithDuration) != nil {
			// The start position was just written.
			h := &kiirooOnyx{link: link, wake: make(chan struct{}, 1), lastSent: time.Now()}
			h.task = startTask(h.run)
			return h, nil
		}
	}
	return perOutput(comm.EndpointTx, false, func(o Output) []byte {
		return kiirooV1Packet(o.Value)
	}, protocol.OutputVibrate), nil
}

// kiirooOnyx moves the Onyx in steps: the position is interpolated from
// where it was when the command came to the target, over the duration.
type kiirooOnyx struct {
	*task
	link Link
	wake chan struct{}

	mu         sync.Mutex
	from, to   float64 // device positions
	start, end time.Time

	// Only the goroutine uses these.
	sent     int32
	lastSent time.Time
}

func (h *kiirooOnyx) Output(o Output) ([]Command, error) {
	if o.Type != protocol.OutputHwPositionWithDuration {
		return nil, Unsupported(o)
	}
	now := time.Now()
	h.mu.Lock()
	h.from = h.at(now)
	h.to = float64(kiirooV1Top - o.Value)
	h.start, h.end = now, now.Add(time.Duration(o.Duration)*time.Millisecond)
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
	return nil, nil
}

// Halt ends the movement where the device is now.
func (h *kiirooOnyx) Halt() {
	now := time.Now()
	h.mu.Lock()
	h.to = h.at(now)
	h.from, h.start, h.end = h.to, now, now
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// at is the position at t; h.mu is held.
func (h *kiirooOnyx) at(t time.Time) float64 {
	if !t.Before(h.end) {
		return h.to
	}
	if !t.After(h.start) {
		// A time read before the command came (the goroutine's clock read
		// races Output); with start == end it would divide by zero.
		return h.from
	}
	frac := float64(t.Sub(h.start)) / float64(h.end.Sub(h.start))
	return h.from + (h.to-h.from)*frac
}

func (h *kiirooOnyx) run(ctx context.Context) {
	for {
		now := time.Now()
		h.mu.Lock()
		pos := int32(math.RoundToEven(h.at(now)))
		moving := now.Before(h.end)
		h.mu.Unlock()
		failed := false
		if pos != h.sent || now.Sub(h.lastSent) >= kiirooV1Ping {
			err := taskWrite(ctx, h.link, comm.EndpointTx, kiirooV1Packet(pos), false)
			switch {
			case err == nil:
				h.sent, h.lastSent = pos, now
			case taskGone(ctx, err):
				return
			default:
				// A write that timed out on a busy link: try again after a
				// tick rather than leave the toy deaf to later commands.
				failed = true
			}
		}
		wait := kiirooV1Tick
		if !moving && !failed {
			wait = kiirooV1Ping - time.Since(h.lastSent)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-h.wake:
			t.Stop()
		case <-t.C:
		}
	}
}
