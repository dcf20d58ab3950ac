package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/protocol"
)

// commandTimeout bounds a device command of one request.
const commandTimeout = 10 * time.Second

func (a *API) routes() {
	m := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc) { m.Handle(pattern, a.guard(h)) }
	// The routes of intiface-engine 4's REST server, with its methods.
	api("GET /api/v1/start-scanning", a.scan(true))
	api("GET /api/v1/stop-scanning", a.scan(false))
	api("GET /api/v1/devices", a.listDevices)
	api("PUT /api/v1/devices/stop", a.stopAll)
	api("GET /api/v1/devices/{index}", a.deviceInfo)
	api("PUT /api/v1/devices/{index}/stop", a.stopDevice)
	api("GET /api/v1/devices/{index}/features", a.features)
	// The Engine answers PUT .../features/{f}/; GET is what a reader expects.
	for _, p := range []string{"GET", "PUT"} {
		api(p+" /api/v1/devices/{index}/features/{feature}", a.featureInfo)
		api(p+" /api/v1/devices/{index}/features/{feature}/{$}", a.featureInfo)
	}
	api("PUT /api/v1/devices/{index}/outputs/{type}/{level}", a.deviceOutput)
	api("PUT /api/v1/devices/{index}/features/{feature}/outputs/{type}/{level}", a.featureOutput)
	api("GET /api/v1/events", a.events)
	// bphost's additions: status, battery and input reads.
	api("GET /api/v1/status", a.getStatus)
	api("GET /api/v1/devices/{index}/battery", a.battery)
	api("GET /api/v1/devices/{index}/features/{feature}/inputs/{type}", a.readInput)
	m.Handle("/api/", a.guard(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, protocol.ErrorMsg, "no route %s %s", r.Method, r.URL.Path)
	}))
	a.panelRoutes(m)
	a.mux = m
}

// apiError is the body of every failed /api request.
type apiError struct {
	Error string `json:"error"`
	// Code is the Buttplug error code, CodeName its spec name.
	Code     protocol.ErrorCode `json:"code"`
	CodeName string             `json:"code_name"`
}

func writeError(w http.ResponseWriter, status int, code protocol.ErrorCode, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...), Code: code, CodeName: code.String()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ok answers a command that succeeded: 200 with no body, as the Engine.
func ok(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// deviceError answers a failure of the device layer with its status and
// Buttplug code.
func (a *API) deviceError(w http.ResponseWriter, what string, err error) {
	status, code := http.StatusInternalServerError, protocol.ErrorDevice
	switch {
	case errors.Is(err, ErrClosed), errors.Is(err, device.ErrClosed), errors.Is(err, context.Canceled):
		status = http.StatusServiceUnavailable
	case errors.Is(err, device.ErrUnknownFeature):
		status = http.StatusNotFound
	case errors.Is(err, device.ErrOutOfRange):
		status, code = http.StatusBadRequest, protocol.ErrorMsg
	case errors.Is(err, device.ErrUnsupported):
		status = http.StatusBadRequest
	case errors.Is(err, device.ErrBusy):
		status = http.StatusTooManyRequests
	case errors.Is(err, device.ErrDisconnected):
		status = http.StatusGone
	case errors.Is(err, device.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusGatewayTimeout
	}
	if c, ok := protocol.CodeOf(err); ok {
		code = c
	}
	if status >= 500 {
		a.log.Warn("request failed", "what", what, "err", err)
	}
	writeError(w, status, code, "%s: %v", what, err)
}

// restDevice is a device as the Engine's REST API lists it.
type restDevice struct {
	Index       uint32                      `json:"index"`
	Name        string                      `json:"name"`
	DisplayName *string                     `json:"display_name"`
	Features    map[uint32]protocol.Feature `json:"features"`
}

func describe(d *device.Device) restDevice {
	info := d.Info()
	rd := restDevice{Index: info.DeviceIndex, Name: info.DeviceName, Features: info.DeviceFeatures}
	if info.DeviceDisplayName != "" {
		rd.DisplayName = &info.DeviceDisplayName
	}
	if rd.Features == nil {
		rd.Features = map[uint32]protocol.Feature{}
	}
	return rd
}

// lookupDevice parses {index} and finds the device, answering the request
// when it cannot.
func (a *API) lookupDevice(w http.ResponseWriter, r *http.Request) (*device.Device, bool) {
	s := r.PathValue("index")
	i, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		writeError(w, http.StatusBadRequest, protocol.ErrorMsg, "device index %q is not a number", s)
		return nil, false
	}
	d, ok := a.cfg.Devices.Device(uint32(i))
	if !ok {
		writeError(w, http.StatusNotFound, protocol.ErrorDevice, "device index %d does not refer to a connected device", i)
		return nil, false
	}
	return d, true
}

// lookupFeature parses {feature} of a found device.
func lookupFeature(w http.ResponseWriter, r *http.Request, d *device.Device) (protocol.Feature, bool) {
	s := r.PathValue("feature")
	i, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		writeError(w, http.StatusBadRequest, protocol.ErrorMsg, "feature index %q is not a number", s)
		return protocol.Feature{}, false
	}
	f, ok := d.Info().DeviceFeatures[uint32(i)]
	if !ok {
		writeError(w, http.StatusNotFound, protocol.ErrorDevice, "device %d has no feature %d", d.Index(), i)
		return protocol.Feature{}, false
	}
	return f, true
}

// scan starts or stops scanning.
func (a *API) scan(start bool) http.HandlerFunc {
	what, do := "stop scanning", a.cfg.Devices.StopScanning
	if start {
		what, do = "start scanning", a.cfg.Devices.StartScanning
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := a.requestContext(r)
		defer cancel()
		if err := do(ctx); err != nil {
			a.deviceError(w, what, err)
			return
		}
		ok(w)
	}
}

func (a *API) listDevices(w http.ResponseWriter, _ *http.Request) {
	out := map[uint32]restDevice{}
	for _, d := range a.cfg.Devices.Devices() {
		out[d.Index()] = describe(d)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) deviceInfo(w http.ResponseWriter, r *http.Request) {
	if d, ok := a.lookupDevice(w, r); ok {
		writeJSON(w, http.StatusOK, describe(d))
	}
}

func (a *API) features(w http.ResponseWriter, r *http.Request) {
	if d, ok := a.lookupDevice(w, r); ok {
		writeJSON(w, http.StatusOK, describe(d).Features)
	}
}

func (a *API) featureInfo(w http.ResponseWriter, r *http.Request) {
	d, ok := a.lookupDevice(w, r)
	if !ok {
		return
	}
	if f, ok := lookupFeature(w, r, d); ok {
		writeJSON(w, http.StatusOK, f)
	}
}

// beginStop makes every output request being handled now fail rather
// than reach a device after the stop: outputs check the count of stops
// under the read lock, stops change it under the write lock.
func (a *API) beginStop() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrClosed
	}
	a.stops.Add(1)
	return nil
}

func (a *API) stopAll(w http.ResponseWriter, r *http.Request) {
	a.stop(w, r, "stop all devices", Event{Type: EventStopped}, a.cfg.Devices.StopAll)
}

func (a *API) stopDevice(w http.ResponseWriter, r *http.Request) {
	d, found := a.lookupDevice(w, r)
	if !found {
		return
	}
	a.stop(w, r, fmt.Sprintf("stop device %d", d.Index()), Event{Type: EventStopped, Device: u32(d.Index()), Name: d.Name()},
		func(ctx context.Context) error { return d.Stop(ctx, nil, true, true) })
}

// stop runs a stop that wins over the outputs under way, then reports it.
func (a *API) stop(w http.ResponseWriter, r *http.Request, what string, done Event, do func(context.Context) error) {
	if err := a.beginStop(); err != nil {
		a.deviceError(w, what, err)
		return
	}
	ctx, cancel := a.commandContext(r)
	defer cancel()
	if err := do(ctx); err != nil {
		a.deviceError(w, what, err)
		return
	}
	a.hub.publish(done)
	ok(w)
}

// parseOutputType accepts the spec's names and the Engine's aliases
// (vibrate, hw_position_with_duration).
func parseOutputType(s string) (protocol.OutputType, error) {
	if t, err := protocol.ParseOutputType(s); err == nil {
		return t, nil
	}
	folded := strings.ReplaceAll(s, "_", "")
	for _, t := range protocol.OutputTypes {
		if strings.EqualFold(folded, string(t)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("%q is not an output type; valid ones: %v", s, protocol.OutputTypes)
}

// parseLevel reads the {level} fraction: a finite number; the range is
// checked against each feature's.
func parseLevel(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("level %q is not a number between 0 and 1 (-1 and 1 for signed outputs)", s)
	}
	return v, nil
}

func (a *API) deviceOutput(w http.ResponseWriter, r *http.Request) {
	if d, ok := a.lookupDevice(w, r); ok {
		a.output(w, r, d, nil)
	}
}

func (a *API) featureOutput(w http.ResponseWriter, r *http.Request) {
	d, ok := a.lookupDevice(w, r)
	if !ok {
		return
	}
	if f, ok := lookupFeature(w, r, d); ok {
		a.output(w, r, d, &f)
	}
}

// output sets {type} to the fraction {level} on one feature, or on every
// feature of the device that has that output.
func (a *API) output(w http.ResponseWriter, r *http.Request, d *device.Device, only *protocol.Feature) {
	stops := a.stops.Load() // a stop from now on wins over this request
	typ, err := parseOutputType(r.PathValue("type"))
	if err != nil {
		writeError(w, http.StatusBadRequest, protocol.ErrorMsg, "%v", err)
		return
	}
	level, err := parseLevel(r.PathValue("level"))
	if err != nil {
		writeError(w, http.StatusBadRequest, protocol.ErrorMsg, "%v", err)
		return
	}
	// The Engine refuses HwPositionWithDuration here; bphost takes the
	// move's time as ?duration=MS.
	var duration uint32
	if typ == protocol.OutputHwPositionWithDuration {
		q := r.URL.Query().Get("duration")
		ms, err := strconv.ParseUint(q, 10, 32)
		if err != nil {
			writeError(w, http.StatusBadRequest, protocol.ErrorMsg, "%s needs ?duration=MS, the time the move takes (got %q)", typ, q)
			return
		}
		duration = uint32(ms)
	}
	var feats []protocol.Feature
	if only != nil {
		feats = []protocol.Feature{*only}
	} else {
		all := d.Info().DeviceFeatures
		for _, i := range slices.Sorted(maps.Keys(all)) {
			feats = append(feats, all[i])
		}
	}
	var cmds []device.FeatureOutput
	for _, f := range feats {
		spec, has := f.Output[typ]
		if !has {
			continue
		}
		steps, err := protocol.Steps(level, spec.Value)
		if err != nil {
			writeError(w, http.StatusBadRequest, protocol.ErrorMsg, "device %d feature %d %s: %v", d.Index(), f.FeatureIndex, typ, err)
			return
		}
		cmds = append(cmds, device.FeatureOutput{Feature: f.FeatureIndex, Command: protocol.OutputCommand{Type: typ, Value: steps, Duration: duration}})
	}
	if len(cmds) == 0 {
		where := fmt.Sprintf("device %d", d.Index())
		if only != nil {
			where += fmt.Sprintf(" feature %d", only.FeatureIndex)
		}
		writeError(w, http.StatusBadRequest, protocol.ErrorDevice, "%s has no %s output", where, typ)
		return
	}
	ctx, cancel := a.commandContext(r)
	defer cancel()
	what := fmt.Sprintf("device %d %s %g", d.Index(), typ, level)
	wait, err := a.queue(ctx, d, cmds, stops)
	if err == nil {
		err = wait(ctx)
	}
	switch {
	case errors.Is(err, errOvertaken):
		writeError(w, http.StatusConflict, protocol.ErrorDevice, "%s: %v", what, err)
	case err != nil:
		a.deviceError(w, what, err)
	default:
		ok(w)
	}
}

// errOvertaken: a stop came in while an output request was handled.
var errOvertaken = errors.New("a stop came in while this request was handled; not sent")

// queue queues cmds on d unless the API closed or a stop came in since the
// request saw stops. It holds the read lock while queueing, so a stop
// (beginStop takes the write lock) is queued after it, never before.
func (a *API) queue(ctx context.Context, d *device.Device, cmds []device.FeatureOutput, stops uint64) (wait func(context.Context) error, err error) {
	if a.beforeQueue != nil {
		a.beforeQueue()
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	switch {
	case a.closed:
		return nil, ErrClosed
	case a.stops.Load() != stops:
		return nil, errOvertaken
	}
	return d.QueueOutputs(cmds)
}

// Reading is the answer of a battery or input read.
type Reading struct {
	Device  uint32 `json:"device"`
	Feature uint32 `json:"feature"`
	Input   string `json:"input"`
	Value   int32  `json:"value"`
}

func (a *API) battery(w http.ResponseWriter, r *http.Request) {
	d, ok := a.lookupDevice(w, r)
	if !ok {
		return
	}
	info := d.Info()
	for _, i := range slices.Sorted(maps.Keys(info.DeviceFeatures)) {
		if _, has := info.DeviceFeatures[i].Input[protocol.InputBattery]; has {
			a.read(w, r, d, i, protocol.InputBattery)
			return
		}
	}
	writeError(w, http.StatusBadRequest, protocol.ErrorDevice, "device %d has no battery", d.Index())
}

func (a *API) readInput(w http.ResponseWriter, r *http.Request) {
	d, ok := a.lookupDevice(w, r)
	if !ok {
		return
	}
	f, ok := lookupFeature(w, r, d)
	if !ok {
		return
	}
	typ, err := protocol.ParseInputType(r.PathValue("type"))
	if err != nil {
		folded := r.PathValue("type")
		for _, t := range protocol.InputTypes {
			if strings.EqualFold(folded, string(t)) {
				typ, err = t, nil
			}
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, protocol.ErrorMsg, "%q is not an input type; valid ones: %v", r.PathValue("type"), protocol.InputTypes)
		return
	}
	if _, has := f.Input[typ]; !has {
		writeError(w, http.StatusBadRequest, protocol.ErrorDevice, "device %d feature %d has no %s input", d.Index(), f.FeatureIndex, typ)
		return
	}
	a.read(w, r, d, f.FeatureIndex, typ)
}

func (a *API) read(w http.ResponseWriter, r *http.Request, d *device.Device, feature uint32, typ protocol.InputType) {
	if a.isClosed() {
		a.deviceError(w, "read", ErrClosed)
		return
	}
	ctx, cancel := a.commandContext(r)
	defer cancel()
	v, err := d.Input(ctx, feature, typ, protocol.InputCommandRead)
	if err != nil {
		a.deviceError(w, fmt.Sprintf("device %d feature %d: read %s", d.Index(), feature, typ), err)
		return
	}
	a.hub.publish(Event{Type: EventInputReading, Device: u32(d.Index()), Name: d.Name(), Feature: u32(feature), Input: string(typ), Value: i32(v)})
	writeJSON(w, http.StatusOK, Reading{Device: d.Index(), Feature: feature, Input: string(typ), Value: v})
}

// Status is the server's state as the panel shows it.
type Status struct {
	Server   string  `json:"server"`
	Client   *Client `json:"client"`
	Scanning bool    `json:"scanning"`
	Devices  int     `json:"devices"`
}

func (a *API) status() Status {
	return Status{
		Server:   a.cfg.ServerName,
		Client:   a.hub.currentClient(),
		Scanning: a.cfg.Devices.Scanning(),
		Devices:  len(a.cfg.Devices.Devices()),
	}
}

func (a *API) getStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.status())
}
