package fakebluez

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/simulated"
)

// AddSimulated presents a simulated device as a BLE peripheral. It
// advertises what the simulated device does (name, manufacturer data,
// services; an address that is not a MAC, such as SIM-1, is replaced by a
// generated one) and has the GATT services of services, usually those of
// the device configuration of its protocol. Connect connects the simulated
// device with services; WriteValue, ReadValue, StartNotify and StopNotify
// go to its Write, Read, Subscribe and Unsubscribe, and its notifications
// come out, in order, as PropertiesChanged of Value on the characteristic
// of their endpoint. A dropped link disconnects the simulated device, so it
// can be connected again; the simulated device disconnecting drops the
// link.
func (z *BlueZ) AddSimulated(sd *simulated.Device, services comm.ServiceMap) (*Device, error) {
	adv := sd.Advertisement()
	if adv.Bus != comm.BusBLE {
		return nil, fmt.Errorf("fakebluez: add simulated %q: it is a %s device, not BLE", sd.Name(), adv.Bus)
	}
	h := &simHandler{sim: sd, services: comm.ServiceMap{}, eps: map[string][]comm.Endpoint{}, chars: map[comm.Endpoint][]string{}}
	p := Peripheral{Name: adv.Name, RSSI: -60, ManufacturerData: adv.ManufacturerData, Services: map[string][]Characteristic{}, Handler: h}
	if len(adv.Services) > 0 {
		p.UUIDs = adv.Services
	}
	if isMAC(adv.Address) {
		p.Address = adv.Address
	}
	for svc, eps := range services {
		svc = strings.ToLower(svc)
		m := map[comm.Endpoint]string{}
		for ep, ch := range eps {
			ch = strings.ToLower(ch)
			m[ep] = ch
			if !slices.ContainsFunc(p.Services[svc], func(c Characteristic) bool { return c.UUID == ch }) {
				p.Services[svc] = append(p.Services[svc], Characteristic{UUID: ch})
			}
			if !slices.Contains(h.eps[ch], ep) {
				h.eps[ch] = append(h.eps[ch], ep)
			}
			if !slices.Contains(h.chars[ep], ch) {
				h.chars[ep] = append(h.chars[ep], ch)
			}
		}
		h.services[svc] = m
	}
	if len(p.Services) == 0 {
		return nil, fmt.Errorf("fakebluez: add simulated %q: no GATT services given", sd.Name())
	}
	for _, eps := range h.eps {
		sort.Slice(eps, func(i, j int) bool { return eps[i] < eps[j] })
	}
	d, err := z.Add(p)
	if err != nil {
		return nil, fmt.Errorf("fakebluez: add simulated %q: %w", sd.Name(), err)
	}
	return d, nil
}

// simHandler forwards GATT operations to a simulated device.
type simHandler struct {
	sim      *simulated.Device
	services comm.ServiceMap
	eps      map[string][]comm.Endpoint // characteristic → its endpoints
	chars    map[comm.Endpoint][]string // endpoint → its characteristics

	mu   sync.Mutex
	link *simLink
}

// simLink is one connection to the simulated device.
type simLink struct {
	hw     comm.Hardware
	ctx    context.Context // ends with the link, so hung simulated calls return
	cancel context.CancelFunc
	done   chan struct{} // closed when the notification forwarder returns

	mu     sync.Mutex
	ending bool // we disconnect it, rather than the simulated device
}

var _ linker = (*simHandler)(nil)

func (h *simHandler) connect(d *Device) error {
	ctx, cancel := context.WithCancel(context.Background())
	hw, err := h.sim.Connect(ctx, h.services)
	if err != nil {
		cancel()
		return fmt.Errorf("connect simulated %q: %w", h.sim.Name(), err)
	}
	l := &simLink{hw: hw, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	h.mu.Lock()
	h.link = l
	h.mu.Unlock()
	go h.forward(d, l)
	return nil
}

// forward turns the simulated device's notifications into BLE ones until
// its channel closes; if the simulated device closed it, the link drops.
func (h *simHandler) forward(d *Device, l *simLink) {
	for n := range l.hw.Notifications() {
		for _, c := range h.chars[n.Endpoint] {
			// Characteristics not notifying drop it, as on air.
			_ = d.Notify(c, n.Data)
		}
	}
	l.mu.Lock()
	ending := l.ending
	l.mu.Unlock()
	if !ending {
		// drop waits for this goroutine, so it runs in another.
		d.z.goBG(d.drop)
	}
	close(l.done)
}

func (h *simHandler) disconnect() {
	h.mu.Lock()
	l := h.link
	h.link = nil
	h.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	l.ending = true
	l.mu.Unlock()
	_ = l.hw.Disconnect()
	l.cancel()
	<-l.done
}

func (h *simHandler) current() *simLink {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.link
}

// endpoint picks the endpoint of char a call goes to: when protocols use
// one characteristic for several endpoints, writes go to the one not named
// rx…, reads and subscriptions to an rx… one.
func (h *simHandler) endpoint(char string, write bool) (comm.Endpoint, error) {
	eps := h.eps[char]
	if len(eps) == 0 {
		return "", fmt.Errorf("simulated %q has no endpoint on characteristic %s", h.sim.Name(), char)
	}
	for _, ep := range eps {
		if strings.HasPrefix(string(ep), "rx") != write {
			return ep, nil
		}
	}
	return eps[0], nil
}

func (h *simHandler) target(char string, write bool) (*simLink, comm.Endpoint, error) {
	l := h.current()
	if l == nil {
		return nil, "", fmt.Errorf("simulated %q: %w", h.sim.Name(), comm.ErrDisconnected)
	}
	ep, err := h.endpoint(char, write)
	return l, ep, err
}

func (h *simHandler) Write(char string, data []byte, withResponse bool) error {
	l, ep, err := h.target(char, true)
	if err != nil {
		return err
	}
	return l.hw.Write(l.ctx, ep, data, withResponse)
}

func (h *simHandler) Read(char string) ([]byte, error) {
	l, ep, err := h.target(char, false)
	if err != nil {
		return nil, err
	}
	return l.hw.Read(l.ctx, ep, 0)
}

func (h *simHandler) StartNotify(char string) error {
	l, ep, err := h.target(char, false)
	if err != nil {
		return err
	}
	return l.hw.Subscribe(l.ctx, ep)
}

func (h *simHandler) StopNotify(char string) error {
	l := h.current()
	if l == nil {
		// The link is gone; nothing to unsubscribe.
		return nil
	}
	ep, err := h.endpoint(char, false)
	if err != nil {
		return err
	}
	return l.hw.Unsubscribe(l.ctx, ep)
}
