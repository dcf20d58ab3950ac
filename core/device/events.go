package device

import (
	"errors"
	"sync"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	// DeviceAdded: a device connected and is ready; Device and Index are set.
	DeviceAdded EventKind = iota + 1
	// DeviceRemoved: the device at Index disconnected.
	DeviceRemoved
	// ScanningFinished: every scan ended by itself (an explicit
	// StopScanning reports nothing).
	ScanningFinished
	// InputReading: a subscribed input reported Reading (its Id is 0).
	InputReading
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case DeviceAdded:
		return "DeviceAdded"
	case DeviceRemoved:
		return "DeviceRemoved"
	case ScanningFinished:
		return "ScanningFinished"
	case InputReading:
		return "InputReading"
	}
	return "EventKind(?)"
}

// Event is one event of the device manager.
type Event struct {
	Kind EventKind
	// Device is set for DeviceAdded (and DeviceRemoved, where it is gone).
	Device *Device
	// Index is the device index, for every kind but ScanningFinished.
	Index uint32
	// Reading is set for InputReading.
	Reading protocol.InputReading
}

// Sentinel errors of devices; errors wrap them with what failed where.
var (
	// ErrUnknownFeature: the device has no feature with that index.
	ErrUnknownFeature = errors.New("no such feature")
	// ErrUnsupported: the feature has no such output or input, it is
	// disabled, or the protocol cannot do it.
	ErrUnsupported = errors.New("not supported by the feature")
	// ErrOutOfRange: a value or duration outside the advertised range; it
	// is never sent to the device.
	ErrOutOfRange = errors.New("value out of range")
	// ErrTimeout: the device did not complete the I/O in time.
	ErrTimeout = errors.New("device timed out")
	// ErrDisconnected: the device is gone.
	ErrDisconnected = comm.ErrDisconnected
	// ErrNotAllowed: the user configuration's allow or deny list keeps the
	// device out.
	ErrNotAllowed = errors.New("device not allowed by configuration")
	// ErrClosed: the manager was closed.
	ErrClosed = errors.New("device manager closed")
	// ErrBusy: the device has QueueDepth commands waiting, behind a write
	// that has not finished; nothing of the refused call was queued.
	ErrBusy = errors.New("device busy: too many commands waiting")
)

// eventQueue delivers events in order without ever blocking the sender: a
// slow reader makes the queue grow instead of stalling devices. Its
// goroutine ends on stop, which closes out.
type eventQueue struct {
	mu     sync.Mutex
	items  []Event
	notify chan struct{}
	out    chan Event
	stop   chan struct{}
	done   chan struct{}
}

func newEventQueue() *eventQueue {
	q := &eventQueue{
		notify: make(chan struct{}, 1),
		out:    make(chan Event),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go q.run()
	return q
}

func (q *eventQueue) push(e Event) {
	q.mu.Lock()
	q.items = append(q.items, e)
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *eventQueue) run() {
	defer close(q.done)
	defer close(q.out)
	for {
		q.mu.Lock()
		var next Event
		have := len(q.items) > 0
		if have {
			next = q.items[0]
			q.items[0] = Event{}
			q.items = q.items[1:]
		}
		q.mu.Unlock()
		if !have {
			select {
			case <-q.notify:
				continue
			case <-q.stop:
				return
			}
		}
		select {
		case q.out <- next:
		case <-q.stop:
			return
		}
	}
}

func (q *eventQueue) close() {
	close(q.stop)
	<-q.done
}
