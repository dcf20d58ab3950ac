package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/server"
	"github.com/bphost/bphost/internal/observers"
)

// Event types of the stream.
const (
	EventHello          = "hello" // first event of every stream: the status
	EventDeviceAdded    = "device-added"
	EventDeviceRemoved  = "device-removed"
	EventScanFinished   = "scanning-finished"
	EventClientJoined   = "client-connected"
	EventClientLeft     = "client-left"
	EventClientRefused  = "client-refused"
	EventInputReading   = "input-reading"
	EventWrite          = "write" // a simulated device received bytes
	EventStopped        = "stopped"
	EventStreamOverflow = "overflow" // the reader was too slow; events were dropped
)

// Event is one server-sent event, written as `data: <json>`.
type Event struct {
	Type   string    `json:"type"`
	Time   time.Time `json:"time"`
	Device *uint32   `json:"device,omitempty"`
	// Name is the device's name (or the simulated model's).
	Name    string  `json:"name,omitempty"`
	Feature *uint32 `json:"feature,omitempty"`
	Input   string  `json:"input,omitempty"`
	Value   *int32  `json:"value,omitempty"`
	// Client and Version describe a Buttplug client; Reason is why it
	// left or was refused.
	Client  string `json:"client,omitempty"`
	Version string `json:"version,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Endpoint, Bytes, Text and Record describe a simulated write.
	Endpoint string  `json:"endpoint,omitempty"`
	Bytes    []int   `json:"bytes,omitempty"`
	Text     string  `json:"text,omitempty"`
	Record   string  `json:"record,omitempty"`
	Status   *Status `json:"status,omitempty"`
	Dropped  int     `json:"dropped,omitempty"`
}

// Client is the Buttplug client connected to the server.
type Client struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// streamBuffer is how many events wait for a slow reader before newer ones
// are dropped (and counted in an overflow event).
const streamBuffer = 256

// hub fans events out to the streams and keeps what the status shows.
type hub struct {
	streams observers.List[[]byte]

	mu      sync.Mutex
	client  *Client
	indexOf map[string]uint32 // device address -> index, for simulated writes
}

func newHub() *hub { return &hub{indexOf: map[string]uint32{}} }

// subscribe returns a stream of encoded events; a reader that falls
// streamBuffer events behind loses the newer ones and is told how many in
// an overflow event.
func (h *hub) subscribe() (events <-chan []byte, remove func()) {
	ch := make(chan []byte, streamBuffer)
	var mu sync.Mutex // orders the sends of concurrent publishers
	dropped := 0
	remove = h.streams.Add(func(b []byte) {
		mu.Lock()
		defer mu.Unlock()
		if dropped > 0 {
			ob, _ := json.Marshal(Event{Type: EventStreamOverflow, Time: time.Now(), Dropped: dropped})
			select {
			case ch <- ob:
				dropped = 0
			default:
				dropped++
				return
			}
		}
		select {
		case ch <- b:
		default:
			dropped++
		}
	})
	return ch, remove
}

// publish sends e to every stream without blocking.
func (h *hub) publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return // every field marshals; nothing to report
	}
	h.streams.Notify(b)
}

func (h *hub) currentClient() *Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client == nil {
		return nil
	}
	c := *h.client
	return &c
}

func u32(v uint32) *uint32 { return &v }
func i32(v int32) *int32   { return &v }

// follow subscribes to the device manager, the sessions and the simulated
// devices.
func (a *API) follow() {
	for _, d := range a.cfg.Devices.Devices() {
		a.hub.indexOf[d.Address()] = d.Index()
	}
	a.unwatch = append(a.unwatch, a.cfg.Devices.Watch(a.deviceEvent))
	if a.cfg.Sessions != nil {
		a.unwatch = append(a.unwatch, a.cfg.Sessions.WatchSessions(a.sessionEvent))
	}
	if a.cfg.Simulated != nil {
		for _, sd := range a.cfg.Simulated.Devices() {
			sd := sd
			model := sd.Model()
			// A simulated device's hooks cannot be removed; after Close
			// this one does nothing.
			sd.OnRecord(func(r simulated.Record) {
				if r.Kind != simulated.RecordWrite || a.ctx.Err() != nil {
					return
				}
				a.simulatedWrite(sd.Address(), model, r)
			})
		}
	}
}

func (a *API) deviceEvent(e device.Event) {
	switch e.Kind {
	case device.DeviceAdded:
		a.hub.mu.Lock()
		a.hub.indexOf[e.Device.Address()] = e.Index
		a.hub.mu.Unlock()
		a.hub.publish(Event{Type: EventDeviceAdded, Device: u32(e.Index), Name: e.Device.Name()})
	case device.DeviceRemoved:
		a.hub.mu.Lock()
		if e.Device != nil && a.hub.indexOf[e.Device.Address()] == e.Index {
			delete(a.hub.indexOf, e.Device.Address())
		}
		a.hub.mu.Unlock()
		ev := Event{Type: EventDeviceRemoved, Device: u32(e.Index)}
		if e.Device != nil {
			ev.Name = e.Device.Name()
		}
		a.hub.publish(ev)
	case device.ScanningFinished:
		a.hub.publish(Event{Type: EventScanFinished})
	case device.InputReading:
		a.hub.publish(Event{Type: EventInputReading, Device: u32(e.Index), Feature: u32(e.Reading.FeatureIndex),
			Input: string(e.Reading.Reading.Type), Value: i32(e.Reading.Reading.Value)})
	}
}

func (a *API) sessionEvent(e server.SessionEvent) {
	ev := Event{Client: e.Client}
	if e.Version != 0 {
		ev.Version = e.Version.String()
	}
	if e.Err != nil {
		ev.Reason = e.Err.Error()
	}
	a.hub.mu.Lock()
	switch e.Kind {
	case server.SessionStarted:
		ev.Type = EventClientJoined
		a.hub.client = &Client{Name: e.Client, Version: ev.Version}
	case server.SessionEnded:
		ev.Type = EventClientLeft
		a.hub.client = nil
	default:
		ev.Type = EventClientRefused
	}
	a.hub.mu.Unlock()
	a.hub.publish(ev)
}

func (a *API) simulatedWrite(address, model string, r simulated.Record) {
	ev := Event{Type: EventWrite, Name: model, Endpoint: string(r.Endpoint), Record: r.String()}
	a.hub.mu.Lock()
	if i, ok := a.hub.indexOf[address]; ok {
		ev.Device = u32(i)
	}
	a.hub.mu.Unlock()
	ev.Bytes = make([]int, len(r.Data))
	for i, b := range r.Data {
		ev.Bytes[i] = int(b)
	}
	if printableText(r.Data) {
		ev.Text = string(r.Data)
	}
	ev.Time = r.Time
	a.hub.publish(ev)
}

func printableText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// keepAlive is how often an idle stream gets a comment line, so proxies
// and the browser keep it open.
const keepAlive = 15 * time.Second

// events streams server-sent events until the client leaves or the API
// closes. The first event is a hello with the status.
func (a *API) events(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := a.requestContext(r)
	defer cancel()
	events, remove := a.hub.subscribe()
	defer remove()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st := a.status()
	hello, _ := json.Marshal(Event{Type: EventHello, Time: time.Now(), Status: &st})
	if _, err := fmt.Fprintf(w, "data: %s\n\n", hello); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case b := <-events:
			_, err = fmt.Fprintf(w, "data: %s\n\n", b)
		case <-tick.C:
			_, err = fmt.Fprint(w, ": keepalive\n\n")
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return
		}
	}
}
