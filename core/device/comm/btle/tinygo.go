//go:build windows || (darwin && cgo)

package btle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"tinygo.org/x/bluetooth"

	"github.com/bphost/bphost/core/device/comm"
)

// tinyRadio drives tinygo.org/x/bluetooth (WinRT on Windows, CoreBluetooth
// on macOS). tinygo's calls take no context: each blocking one runs in a
// goroutine that the caller stops waiting for when its context ends; that
// goroutine ends when the system's own timeout answers the call, and a
// connection that completes after its caller gave up is dropped at once.
type tinyRadio struct {
	a *bluetooth.Adapter

	mu       sync.Mutex
	addrs    map[string]bluetooth.Address // seen while scanning, by text
	links    map[string]*tinyLink
	scanDone chan error
	closed   bool
}

func newRadio(ctx context.Context, o options) (radio, error) {
	a := bluetooth.DefaultAdapter
	errc := make(chan error, 1)
	go func() { errc <- a.Enable() }()
	select {
	case err := <-errc:
		if err != nil {
			return nil, fmt.Errorf("%w: enable the Bluetooth adapter: %v: is Bluetooth on, and may this program use it?", ErrUnavailable, err)
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: enabling the Bluetooth adapter timed out: %v", ErrUnavailable, ctx.Err())
	}
	r := &tinyRadio{a: a, addrs: map[string]bluetooth.Address{}, links: map[string]*tinyLink{}}
	a.SetConnectHandler(func(d bluetooth.Device, connected bool) {
		if connected {
			return
		}
		r.mu.Lock()
		l := r.links[d.Address.String()]
		r.mu.Unlock()
		if l != nil {
			l.drop()
		}
	})
	return r, nil
}

func (r *tinyRadio) startScan(ctx context.Context, report func(comm.Advertisement), ended func(error)) error {
	r.mu.Lock()
	if r.scanDone != nil {
		r.mu.Unlock()
		return nil
	}
	done := make(chan error, 1)
	r.scanDone = done
	r.mu.Unlock()
	go func() {
		err := r.a.Scan(func(_ *bluetooth.Adapter, res bluetooth.ScanResult) {
			adv := comm.Advertisement{Bus: comm.BusBLE, Name: res.LocalName(), Address: res.Address.String()}
			for _, u := range res.AdvertisementPayload.ServiceUUIDs() {
				adv.Services = append(adv.Services, strings.ToLower(u.String()))
			}
			for _, md := range res.AdvertisementPayload.ManufacturerData() {
				if adv.ManufacturerData == nil {
					adv.ManufacturerData = map[uint16][]byte{}
				}
				adv.ManufacturerData[md.CompanyID] = append([]byte(nil), md.Data...)
			}
			r.mu.Lock()
			r.addrs[adv.Address] = res.Address
			r.mu.Unlock()
			report(adv)
		})
		r.mu.Lock()
		stopped := r.scanDone != done // stopScan took it: an asked-for end
		if !stopped {
			r.scanDone = nil
		}
		r.mu.Unlock()
		if !stopped {
			if err == nil {
				err = errors.New("the system ended the scan")
			}
			ended(err)
		}
		done <- err
	}()
	return nil
}

func (r *tinyRadio) stopScan(ctx context.Context) error {
	r.mu.Lock()
	done := r.scanDone
	r.scanDone = nil
	r.mu.Unlock()
	if done == nil {
		return nil
	}
	if err := r.a.StopScan(); err != nil {
		return fmt.Errorf("bluetooth: stop scanning: %w", err)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bluetooth: stop scanning: %w", ctx.Err())
	}
}

func (r *tinyRadio) connect(ctx context.Context, adv comm.Advertisement) (link, error) {
	name := describe(adv)
	r.mu.Lock()
	addr, ok := r.addrs[adv.Address]
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, comm.ErrClosed
	}
	if !ok {
		return nil, fmt.Errorf("bluetooth %s: not seen by a scan", name)
	}
	dev, err := await(ctx, func() (bluetooth.Device, error) {
		return r.a.Connect(addr, bluetooth.ConnectionParams{})
	}, func(d bluetooth.Device) { _ = d.Disconnect() })
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("bluetooth: connect to %s timed out: %w", name, err)
		}
		return nil, fmt.Errorf("bluetooth: connect to %s: %w", name, err)
	}
	l := &tinyLink{r: r, dev: dev, adv: adv, gone: make(chan struct{}), chars: map[gattChar]*bluetooth.DeviceCharacteristic{}}
	r.mu.Lock()
	r.links[adv.Address] = l
	r.mu.Unlock()
	if err := l.discover(ctx); err != nil {
		_ = l.disconnect()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("bluetooth: service discovery of %s timed out: %w", name, err)
		}
		return nil, fmt.Errorf("bluetooth: service discovery of %s: %w", name, err)
	}
	return l, nil
}

func (r *tinyRadio) close() error {
	r.mu.Lock()
	r.closed = true
	links := make([]*tinyLink, 0, len(r.links))
	for _, l := range r.links {
		links = append(links, l)
	}
	r.mu.Unlock()
	for _, l := range links {
		_ = l.disconnect()
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	return r.stopScan(ctx)
}

// cleanupTimeout bounds the calls made when closing.
const cleanupTimeout = 2 * time.Second

type tinyLink struct {
	r     *tinyRadio
	dev   bluetooth.Device
	adv   comm.Advertisement
	once  sync.Once
	gone  chan struct{}
	svcs  map[string][]string
	chars map[gattChar]*bluetooth.DeviceCharacteristic
}

func (l *tinyLink) discover(ctx context.Context) error {
	svcs, err := await(ctx, func() ([]bluetooth.DeviceService, error) { return l.dev.DiscoverServices(nil) }, nil)
	if err != nil {
		return err
	}
	l.svcs = map[string][]string{}
	for _, s := range svcs {
		chars, err := await(ctx, func() ([]bluetooth.DeviceCharacteristic, error) { return s.DiscoverCharacteristics(nil) }, nil)
		if err != nil {
			return err
		}
		su := strings.ToLower(s.UUID().String())
		l.svcs[su] = nil
		for i := range chars {
			cu := strings.ToLower(chars[i].UUID().String())
			l.svcs[su] = append(l.svcs[su], cu)
			l.chars[gattChar{service: su, char: cu}] = &chars[i]
		}
	}
	return nil
}

func (l *tinyLink) drop() {
	l.once.Do(func() {
		l.r.mu.Lock()
		if l.r.links[l.adv.Address] == l {
			delete(l.r.links, l.adv.Address)
		}
		l.r.mu.Unlock()
		close(l.gone)
	})
}

func (l *tinyLink) services() map[string][]string { return l.svcs }
func (l *tinyLink) lost() <-chan struct{}         { return l.gone }

func (l *tinyLink) char(c gattChar) (*bluetooth.DeviceCharacteristic, error) {
	ch, ok := l.chars[c]
	if !ok {
		return nil, fmt.Errorf("characteristic %s of service %s not found", c.char, c.service)
	}
	return ch, nil
}

func (l *tinyLink) write(ctx context.Context, c gattChar, data []byte, withResponse bool) error {
	ch, err := l.char(c)
	if err != nil {
		return err
	}
	_, err = await(ctx, func() (int, error) {
		if withResponse {
			return ch.Write(data)
		}
		return ch.WriteWithoutResponse(data)
	}, nil)
	return err
}

func (l *tinyLink) read(ctx context.Context, c gattChar) ([]byte, error) {
	ch, err := l.char(c)
	if err != nil {
		return nil, err
	}
	return await(ctx, func() ([]byte, error) {
		buf := make([]byte, 512) // the largest ATT value
		n, err := ch.Read(buf)
		if n > len(buf) {
			n = len(buf)
		}
		return buf[:n], err
	}, nil)
}

func (l *tinyLink) subscribe(ctx context.Context, c gattChar, deliver func([]byte)) error {
	ch, err := l.char(c)
	if err != nil {
		return err
	}
	var mu sync.Mutex // deliver is never called concurrently
	_, err = await(ctx, func() (struct{}, error) {
		return struct{}{}, ch.EnableNotifications(func(b []byte) {
			mu.Lock()
			defer mu.Unlock()
			deliver(b)
		})
	}, nil)
	return err
}

func (l *tinyLink) unsubscribe(ctx context.Context, c gattChar) error {
	ch, err := l.char(c)
	if err != nil {
		return err
	}
	_, err = await(ctx, func() (struct{}, error) { return struct{}{}, ch.EnableNotifications(nil) }, nil)
	return err
}

func (l *tinyLink) disconnect() error {
	select {
	case <-l.gone:
		return nil
	default:
	}
	err := l.dev.Disconnect()
	l.drop()
	return err
}
