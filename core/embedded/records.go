package embedded

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/simulated"
)

// The device-record stream is how a process that runs an embedded server
// (the embedded connector plugin) tells another (bphost demo, a test) what
// its simulated devices received, as typed data rather than log lines: one
// JSON object per line, each a DeviceRecord carrying RecordVersion. The
// embedded plugin sends it to the Unix socket named by its "record-socket"
// option; a reader refuses a version it does not know (ErrRecordVersion),
// so a change of meaning is a new version, while new fields may be added to
// version 1 (readers ignore fields they do not know).

// RecordVersion is the version of the DeviceRecord contract this package
// writes and reads.
const RecordVersion = 1

// ErrRecordVersion is wrapped when a stream carries a record of another
// version than RecordVersion.
var ErrRecordVersion = errors.New("device record of an unknown version")

// DeviceRecord is one operation a simulated device received.
type DeviceRecord struct {
	// V is the contract version, RecordVersion.
	V int `json:"v"`
	// Device is the device's model name from the device configuration
	// ("Lovense Hush"); Address its simulated address.
	Device  string `json:"device"`
	Address string `json:"address,omitempty"`
	// Kind is "write", "read", "subscribe" or "unsubscribe".
	Kind string `json:"kind"`
	// Endpoint is the device endpoint ("tx", "rx"...).
	Endpoint string `json:"endpoint"`
	// Data is what was written, or what a read returned.
	Data         []byte    `json:"data,omitempty"`
	WithResponse bool      `json:"with_response,omitempty"`
	Time         time.Time `json:"time"`
}

// NewDeviceRecord describes r, received by the device of the given model
// and address.
func NewDeviceRecord(model, address string, r simulated.Record) DeviceRecord {
	return DeviceRecord{
		V: RecordVersion, Device: model, Address: address,
		Kind: r.Kind.String(), Endpoint: string(r.Endpoint),
		Data: r.Data, WithResponse: r.WithResponse, Time: r.Time,
	}
}

// String renders the record as a person reads it: the kind, the endpoint
// and the data as quoted text when printable, else as hex bytes:
// `write tx "Vibrate:10;"`, `write tx [01 ff]`.
func (r DeviceRecord) String() string {
	s := r.Kind + " " + r.Endpoint
	if r.Kind == "subscribe" || r.Kind == "unsubscribe" {
		return s
	}
	if printableASCII(r.Data) {
		return s + fmt.Sprintf(" %q", r.Data)
	}
	return s + fmt.Sprintf(" [% x]", r.Data)
}

// Text is the data as text when it is printable ASCII, else "".
func (r DeviceRecord) Text() string {
	if printableASCII(r.Data) {
		return string(r.Data)
	}
	return ""
}

func printableASCII(b []byte) bool {
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

// RecordStream writes DeviceRecords to w, one JSON line each, from a
// goroutine of its own: Send never blocks (a simulated device's observer
// must not), and a record that finds the buffer full is dropped and
// counted. Close stops the goroutine after writing what is buffered.
type RecordStream struct {
	ch      chan DeviceRecord
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	closed  bool
	dropped int
	err     error
}

// NewRecordStream starts writing records to w, buffering up to buffer of
// them.
func NewRecordStream(w io.Writer, buffer int) *RecordStream {
	s := &RecordStream{ch: make(chan DeviceRecord, buffer), done: make(chan struct{})}
	go s.run(w)
	return s
}

func (s *RecordStream) run(w io.Writer) {
	defer close(s.done)
	enc := json.NewEncoder(w)
	for r := range s.ch {
		if err := enc.Encode(r); err != nil {
			s.mu.Lock()
			s.err = fmt.Errorf("write device record: %w", err)
			s.mu.Unlock()
			for range s.ch { // the reader is gone: drop the rest
			}
			return
		}
	}
}

// Send queues r, or drops it when the buffer is full or the stream closed.
func (s *RecordStream) Send(r DeviceRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- r:
	default:
		s.dropped++
	}
}

// Close writes what is buffered, ends the goroutine and reports the first
// write error and any dropped records.
func (s *RecordStream) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.ch)
		s.mu.Unlock()
	})
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropped > 0 {
		return errors.Join(s.err, fmt.Errorf("%d device records dropped: the reader did not keep up", s.dropped))
	}
	return s.err
}

// ReadRecords calls fn for each record of the stream r until it ends; it
// fails on a line that is not a DeviceRecord, or of another version.
func ReadRecords(r io.Reader, fn func(DeviceRecord)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var rec DeviceRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("device record line %d: %w", line, err)
		}
		if rec.V != RecordVersion {
			return fmt.Errorf("device record line %d: %w: %d (this reader knows %d)", line, ErrRecordVersion, rec.V, RecordVersion)
		}
		fn(rec)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read device records: %w", err)
	}
	return nil
}

// RecordListener receives the record streams of embedded servers in other
// processes (the embedded plugin's record-socket option) on a Unix socket
// in a directory of its own, readable by this user only.
type RecordListener struct {
	ln   net.Listener
	dir  string
	fn   func(DeviceRecord)
	fnMu sync.Mutex // fn is called by one stream at a time
	wg   sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
	errs   []error
}

// ListenRecords listens for record streams and calls fn for each record of
// each stream, one record at a time, until Close.
func ListenRecords(fn func(DeviceRecord)) (*RecordListener, error) {
	dir, err := os.MkdirTemp("", "bphost-records-")
	if err != nil {
		return nil, fmt.Errorf("record socket: %w", err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "records.sock"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("record socket: %w", err)
	}
	l := &RecordListener{ln: ln, dir: dir, fn: fn, conns: map[net.Conn]bool{}}
	l.wg.Add(1)
	go l.accept()
	return l, nil
}

// Path is the socket's path, the value of the record-socket option.
func (l *RecordListener) Path() string { return l.ln.Addr().String() }

func (l *RecordListener) accept() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return // closed
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			return
		}
		l.conns[c] = true
		l.wg.Add(1)
		l.mu.Unlock()
		go l.read(c)
	}
}

func (l *RecordListener) read(c net.Conn) {
	defer l.wg.Done()
	err := ReadRecords(c, func(r DeviceRecord) {
		l.fnMu.Lock()
		defer l.fnMu.Unlock()
		l.fn(r)
	})
	c.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
	if err != nil && !l.closed {
		l.errs = append(l.errs, err)
	}
}

// Close stops listening, ends the streams still open, waits for their
// readers and removes the socket's directory. It reports streams that
// carried something other than DeviceRecords of RecordVersion.
func (l *RecordListener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	err := l.ln.Close()
	l.wg.Wait()
	os.RemoveAll(l.dir)
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Join(append(l.errs, err)...)
}
