package protocols

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Lovense devices speak ASCII commands ending in ';' on "tx" and answer on
// "rx". "DeviceType;" answers "<model letters>:<firmware>:<address>;"; the
// model letters pick the configuration. "Battery;" answers the level, with
// an 's' in front while the toy runs.

const (
	lovenseReplyWait = 500 * time.Millisecond
	lovenseRetries   = 5
)

var lovenseNameModel = regexp.MustCompile(`LVS-([A-Z]+)\d+`)

func init() {
	Register("lovense", func() Protocol { return &lovense{} })
	RegisterSimulator("lovense", lovenseSim{})
}

type lovense struct {
	model string
}

// Identify asks the model with "DeviceType;", retrying a few times, and
// falls back to the letters of the advertised name.
func (l *lovense) Identify(ctx context.Context, link Link) (string, error) {
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return "", fmt.Errorf("lovense: subscribe rx: %w", err)
	}
	lis := link.Listen(comm.EndpointRx)
	defer lis.Close()
	for try := 0; try <= lovenseRetries; try++ {
		if err := link.Write(ctx, comm.EndpointTx, []byte("DeviceType;"), false); err != nil {
			return "", fmt.Errorf("lovense: ask device type: %w", err)
		}
		t := time.NewTimer(lovenseReplyWait)
		select {
		case data, ok := <-lis.C():
			t.Stop()
			if !ok {
				return "", fmt.Errorf("lovense: %w while asking the device type", comm.ErrDisconnected)
			}
			l.model = lovenseModel(string(data))
			return l.model, nil
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		}
	}
	if m := lovenseNameModel.FindStringSubmatch(link.Name()); m != nil {
		l.model = m[1]
		return l.model, nil
	}
	return "", nil
}

// lovenseModel turns a DeviceType reply into a configuration identifier.
func lovenseModel(reply string) string {
	parts := strings.Split(strings.TrimSpace(reply), ":")
	if len(parts) < 2 {
		return ""
	}
	model := parts[0]
	fw, _ := strconv.Atoi(parts[1])
	// The Flexer drives its actuators separately from firmware 3 on.
	if model == "EI" && fw >= 3 {
		return "EI-FW3"
	}
	return model
}

func (l *lovense) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	var outputs, vibes, vibeOnly, rotators, constrictors int
	var outFeatures []uint32
	for _, f := range def.Features {
		if len(f.Outputs) == 0 {
			continue
		}
		outputs++
		outFeatures = append(outFeatures, f.Index)
		if f.Output(protocol.OutputVibrate) != nil || f.Output(protocol.OutputOscillate) != nil {
			vibes++
		}
		if f.Output(protocol.OutputVibrate) != nil {
			vibeOnly++
		}
		if f.Output(protocol.OutputRotate) != nil {
			rotators++
		}
		if f.Output(protocol.OutputConstrict) != nil {
			constrictors++
		}
	}
	base := lovenseBase{}
	switch {
	case l.model == "BA" || l.model == "H":
		s := &lovenseStroker{zeroRange: l.model == "H", link: link, wake: make(chan struct{}, 1)}
		s.start()
		return s, nil
	case outputs == 1:
		return &lovenseSingle{base}, nil
	case outputs == 2 && vibeOnly == 1 && constrictors == 1:
		return &lovenseMax{base}, nil
	case outputs == 2 && vibeOnly == 1 && rotators == 1:
		return &lovenseRotateVibe{base}, nil
	case (vibes == 2 && outputs > 2) || vibes > 2:
		return &lovenseMply{features: outFeatures, values: make([]int32, outputs)}, nil
	}
	return &lovenseDual{base}, nil
}

func lovenseCmd(s string, features ...uint32) Command {
	return Write(comm.EndpointTx, []byte(s), false, features...)
}

// lovenseBase gives every Lovense handler the battery read.
type lovenseBase struct{}

// ReadInput reads the battery: write "Battery;", take the first reply that
// is a number (optionally after 's').
func (lovenseBase) ReadInput(ctx context.Context, link Link, _ uint32, typ protocol.InputType) (int32, error) {
	if typ != protocol.InputBattery {
		return 0, fmt.Errorf("%w: %s input", ErrUnsupported, typ)
	}
	lis := link.Listen(comm.EndpointRx)
	defer lis.Close()
	if err := link.Write(ctx, comm.EndpointTx, []byte("Battery;"), false); err != nil {
		return 0, err
	}
	for {
		select {
		case data, ok := <-lis.C():
			if !ok {
				return 0, fmt.Errorf("lovense: %w while reading the battery", comm.ErrDisconnected)
			}
			s := strings.TrimSuffix(strings.TrimSpace(string(data)), ";")
			s = strings.TrimPrefix(s, "s")
			if v, err := strconv.ParseUint(s, 10, 8); err == nil && v <= 100 {
				return int32(v), nil
			}
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

type lovenseSingle struct{ lovenseBase }

func (h *lovenseSingle) Output(o Output) ([]Command, error) {
	switch o.Type {
	case protocol.OutputVibrate, protocol.OutputOscillate:
		return []Command{lovenseCmd(fmt.Sprintf("Vibrate:%d;", o.Value), o.Feature)}, nil
	}
	return nil, Unsupported(o)
}

type lovenseMax struct{ lovenseBase }

func (h *lovenseMax) Output(o Output) ([]Command, error) {
	switch o.Type {
	case protocol.OutputVibrate, protocol.OutputOscillate:
		return []Command{lovenseCmd(fmt.Sprintf("Vibrate:%d;", o.Value), o.Feature)}, nil
	case protocol.OutputConstrict:
		return []Command{lovenseCmd(fmt.Sprintf("Air:Level:%d;", o.Value), o.Feature)}, nil
	}
	return nil, Unsupported(o)
}

type lovenseRotateVibe struct{ lovenseBase }

func (h *lovenseRotateVibe) Output(o Output) ([]Command, error) {
	switch o.Type {
	case protocol.OutputVibrate:
		return []Command{lovenseCmd(fmt.Sprintf("Vibrate:%d;", o.Value), o.Feature)}, nil
	case protocol.OutputRotate:
		speed := o.Value
		var cmds []Command
		if speed < 0 {
			// Counter-clockwise is asked with RotateChange before the speed,
			// as the reference server does. It carries no feature so that
			// coalescing never drops it.
			cmds = append(cmds, lovenseCmd("RotateChange;"))
			speed = -speed
		}
		return append(cmds, lovenseCmd(fmt.Sprintf("Rotate:%d;", speed), o.Feature)), nil
	}
	return nil, Unsupported(o)
}

type lovenseDual struct{ lovenseBase }

func (h *lovenseDual) Output(o Output) ([]Command, error) {
	switch o.Type {
	case protocol.OutputVibrate, protocol.OutputOscillate:
		return []Command{lovenseCmd(fmt.Sprintf("Vibrate%d:%d;", o.Feature+1, o.Value), o.Feature)}, nil
	}
	return nil, Unsupported(o)
}

// lovenseMply drives every actuator with one "Mply:a:b:c;" command.
type lovenseMply struct {
	lovenseBase
	features []uint32
	values   []int32
}

func (h *lovenseMply) Output(o Output) ([]Command, error) {
	slot := -1
	for i, f := range h.features {
		if f == o.Feature {
			slot = i
		}
	}
	if slot < 0 {
		return nil, Unsupported(o)
	}
	switch o.Type {
	case protocol.OutputVibrate, protocol.OutputOscillate, protocol.OutputRotate:
		v := o.Value
		if v < 0 {
			v = -v
		}
		h.values[slot] = v
	default:
		return nil, Unsupported(o)
	}
	parts := make([]string, len(h.values))
	for i, v := range h.values {
		parts[i] = strconv.Itoa(int(v))
	}
	return []Command{lovenseCmd("Mply:"+strings.Join(parts, ":")+";", h.features...)}, nil
}

// lovenseStroker drives the Solace family: oscillation speed with
// "Mply:<speed>:<range>;", and positions by stepping "FSetSite:<pos>;" every
// 100 ms towards the goal.
type lovenseStroker struct {
	lovenseBase
	zeroRange bool
	link      Link

	mu       sync.Mutex
	goal     int32
	pos      int32 // the last position sent
	duration uint32
	wake     chan struct{}
	cancel   context.CancelFunc
	done     chan struct{}
}

func (h *lovenseStroker) Output(o Output) ([]Command, error) {
	switch o.Type {
	case protocol.OutputOscillate:
		rng := 20
		if o.Value == 0 && h.zeroRange {
			rng = 0
		}
		return []Command{lovenseCmd(fmt.Sprintf("Mply:%d:%d;", o.Value, rng), o.Feature)}, nil
	case protocol.OutputHwPositionWithDuration:
		h.mu.Lock()
		h.goal, h.duration = o.Value, o.Duration
		h.mu.Unlock()
		select {
		case h.wake <- struct{}{}:
		default:
		}
		return nil, nil
	}
	return nil, Unsupported(o)
}

func (h *lovenseStroker) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan struct{})
	go h.move(ctx)
}

// Halt ends the movement at the position last sent.
func (h *lovenseStroker) Halt() {
	h.mu.Lock()
	h.goal = h.pos
	h.mu.Unlock()
}

// Close stops the movement goroutine.
func (h *lovenseStroker) Close() {
	h.cancel()
	<-h.done
}

func (h *lovenseStroker) move(ctx context.Context) {
	defer close(h.done)
	const tick = 100 * time.Millisecond
	var lastGoal, step int32
	for {
		h.mu.Lock()
		goal, dur, pos := h.goal, h.duration, h.pos
		h.mu.Unlock()
		if goal != lastGoal {
			lastGoal = goal
			steps := int32(dur / 100)
			if steps < 1 {
				steps = 1
			}
			step = (goal - pos) / steps
			if step == 0 && goal != pos {
				step = goal - pos
			}
		}
		if pos == lastGoal {
			select {
			case <-ctx.Done():
				return
			case <-h.wake:
			}
			continue
		}
		pos += step
		if (step < 0 && pos < lastGoal) || (step > 0 && pos > lastGoal) {
			pos = lastGoal
		}
		h.mu.Lock()
		if h.goal != goal {
			// Halted or given a new goal since this step was planned.
			h.mu.Unlock()
			continue
		}
		h.pos = pos
		h.mu.Unlock()
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		err := h.link.Write(wctx, comm.EndpointTx, []byte(fmt.Sprintf("FSetSite:%d;", pos)), false)
		cancel()
		if err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(tick):
		}
	}
}

// lovenseSim answers DeviceType; and Battery; like a real toy.
type lovenseSim struct{ SimBase }

func (lovenseSim) Advertise(_ *config.Definition, identifier string, adv *comm.Advertisement) {
	letters := strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, strings.SplitN(identifier, "-", 2)[0])
	if letters == "" {
		letters = "X"
	}
	adv.Name = "LVS-" + letters + "01"
}

func (lovenseSim) Respond(st *SimState, ep comm.Endpoint, data []byte) []comm.Notification {
	if ep != comm.EndpointTx {
		return nil
	}
	var reply string
	switch string(data) {
	case "DeviceType;":
		model, fw := st.Identifier, "11"
		switch model {
		case "EI-FW3":
			model, fw = "EI", "03"
		case "EI":
			fw = "02"
		}
		if model == "" {
			model = "X"
		}
		reply = model + ":" + fw + ":0082059AD3BD;"
	case "Battery;":
		reply = strconv.Itoa(int(st.Battery)) + ";"
	default:
		return nil
	}
	return []comm.Notification{{Endpoint: comm.EndpointRx, Data: []byte(reply)}}
}
