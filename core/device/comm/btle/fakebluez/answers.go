package fakebluez

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"
)

// answers counts the replies to handled calls that godbus has yet to write.
// godbus writes a reply after the handler returns, so Close, having waited
// for the handlers, waits for these too before it drops the connection:
// otherwise a call Close released got NoReply from the bus, not its error.
// It is the connection's serial generator (RetireSerial is godbus's only
// word that a message was written) and its outgoing interceptor.
type answers struct {
	next atomic.Uint32

	mu      sync.Mutex
	calls   map[uint32]bool // serials of calls whose reply is not yet sent
	sending map[uint32]bool // serials of those replies, being written
	pending int             // entries of both
	zero    chan struct{}   // closed when pending falls to zero, while wait waits
}

func newAnswers() *answers {
	return &answers{calls: map[uint32]bool{}, sending: map[uint32]bool{}}
}

// expect notes a call whose reply godbus will send.
func (a *answers) expect(call uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.calls[call] {
		a.calls[call] = true
		a.pending++
	}
}

// forget drops a call that gets no reply (it asked for none and succeeded).
func (a *answers) forget(call uint32) { a.settle(a.calls, call) }

// outgoing sees every message before godbus writes it.
func (a *answers) outgoing(m *dbus.Message) {
	if m.Type != dbus.TypeMethodReply && m.Type != dbus.TypeError {
		return
	}
	v, ok := m.Headers[dbus.FieldReplySerial]
	if !ok {
		return
	}
	call, ok := v.Value().(uint32)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.calls[call] {
		delete(a.calls, call)
		a.sending[m.Serial()] = true
	}
}

// GetSerial numbers outgoing messages; it never returns 0.
func (a *answers) GetSerial() uint32 {
	for {
		if s := a.next.Add(1); s != 0 {
			return s
		}
	}
}

// RetireSerial is called once a reply or signal was written.
func (a *answers) RetireSerial(serial uint32) { a.settle(a.sending, serial) }

// settle removes serial from set, if there, as no longer pending.
func (a *answers) settle(set map[uint32]bool, serial uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !set[serial] {
		return
	}
	delete(set, serial)
	a.pending--
	if a.pending == 0 && a.zero != nil {
		close(a.zero)
		a.zero = nil
	}
}

// wait waits for the replies expected, at most d (a reply whose write
// failed is never retired).
func (a *answers) wait(d time.Duration) {
	a.mu.Lock()
	if a.pending == 0 {
		a.mu.Unlock()
		return
	}
	if a.zero == nil {
		a.zero = make(chan struct{})
	}
	zero := a.zero
	a.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-zero:
	case <-t.C:
	}
}
