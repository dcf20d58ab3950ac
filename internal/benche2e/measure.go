package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one path's numbers: latency of one operation at a time, and
// throughput with many in flight.
type Result struct {
	P50, P99   time.Duration
	Throughput float64 // operations per second, pipelined
	// CPU is the CPU time of every process on the path per pipelined
	// operation; 0 when unknown.
	CPU time.Duration
}

// Sizes says how much each path is measured.
type Sizes struct {
	Warmup   int // round trips before measuring
	Serial   int // round trips measured one at a time
	Pipeline int // operations measured pipelined
	InFlight int // operations in flight while pipelined
}

// serial times n calls of op, one at a time, after warm calls.
func serial(ctx context.Context, sz Sizes, op func(ctx context.Context, i int) error) (p50, p99 time.Duration, err error) {
	for i := range sz.Warmup {
		if err := op(ctx, i); err != nil {
			return 0, 0, fmt.Errorf("warm-up %d: %w", i, err)
		}
	}
	lat := make([]time.Duration, sz.Serial)
	for i := range lat {
		t0 := time.Now()
		if err := op(ctx, i); err != nil {
			return 0, 0, fmt.Errorf("round trip %d: %w", i, err)
		}
		lat[i] = time.Since(t0)
	}
	return percentiles(lat)
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration, err error) {
	if len(lat) == 0 {
		return 0, 0, fmt.Errorf("no samples")
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[(len(lat)*99)/100], nil
}

// concurrent runs sz.Pipeline calls of op from sz.InFlight goroutines and
// returns calls per second. It suits paths whose callers wait for their own
// answer (the clients).
func concurrent(ctx context.Context, sz Sizes, op func(ctx context.Context, i int) error) (float64, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, sz.InFlight)
	t0 := time.Now()
	for range sz.InFlight {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= sz.Pipeline {
					return
				}
				if err := op(ctx, i); err != nil {
					errs <- fmt.Errorf("pipelined call %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(t0)
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(sz.Pipeline) / elapsed.Seconds(), nil
}

// echoer is the far end of an echo path: what is sent comes back in order.
type echoer interface {
	send(ctx context.Context, f []byte) error
	recv(ctx context.Context) error
}

// measureEcho measures an echo path: round trips one at a time, then a
// sender keeping sz.InFlight frames in flight while the caller receives.
func measureEcho(ctx context.Context, sz Sizes, m cpuMeter, e echoer, frame []byte) (Result, error) {
	var r Result
	var err error
	r.P50, r.P99, err = serial(ctx, sz, func(ctx context.Context, _ int) error {
		if err := e.send(ctx, frame); err != nil {
			return err
		}
		return e.recv(ctx)
	})
	if err != nil {
		return r, err
	}
	var elapsed time.Duration
	r.CPU, err = m.span(sz.Pipeline, func() error {
		var err error
		elapsed, err = pipelineEcho(ctx, sz, e, frame)
		return err
	})
	if err != nil {
		return r, err
	}
	r.Throughput = float64(sz.Pipeline) / elapsed.Seconds()
	return r, nil
}

// pipelineEcho keeps sz.InFlight frames in flight until sz.Pipeline came
// back, and returns how long that took.
func pipelineEcho(ctx context.Context, sz Sizes, e echoer, frame []byte) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slots := make(chan struct{}, sz.InFlight)
	sent := make(chan error, 1)
	t0 := time.Now()
	go func() {
		for range sz.Pipeline {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				sent <- ctx.Err()
				return
			}
			if err := e.send(ctx, frame); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for i := range sz.Pipeline {
		if err := e.recv(ctx); err != nil {
			cancel()
			<-sent
			return 0, fmt.Errorf("pipelined echo %d: %w", i, err)
		}
		<-slots
	}
	return time.Since(t0), <-sent
}

// measureClient measures a client path: op one at a time, then from
// sz.InFlight goroutines at once.
func measureClient(ctx context.Context, sz Sizes, m cpuMeter, op func(ctx context.Context, i int) error) (Result, error) {
	var r Result
	var err error
	if r.P50, r.P99, err = serial(ctx, sz, op); err != nil {
		return r, err
	}
	r.CPU, err = m.span(sz.Pipeline, func() error {
		var err error
		r.Throughput, err = concurrent(ctx, sz, op)
		return err
	})
	return r, err
}
