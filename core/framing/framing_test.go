package framing

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/bphost/bphost/core/connector"
)

// readAll reads frames until an error and returns them with that error.
func readAll(r *Reader) ([]string, error) {
	var out []string
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return out, err
		}
		out = append(out, string(f))
	}
}

func TestReader(t *testing.T) {
	big := "[" + strings.Repeat("1,", 50_000) + "1]" // longer than the 64 KiB buffer
	tests := []struct {
		name    string
		in      string
		max     int
		want    []string
		wantErr error
	}{
		{"one frame", "[1]\n", 0, []string{"[1]"}, io.EOF},
		{"several", "[1]\n[2]\n[3]\n", 0, []string{"[1]", "[2]", "[3]"}, io.EOF},
		{"crlf", "[1]\r\n[2]\r\n", 0, []string{"[1]", "[2]"}, io.EOF},
		{"empty lines skipped", "\n\r\n[1]\n  \n\n[2]\n", 0, []string{"[1]", "[2]"}, io.EOF},
		{"empty stream", "", 0, nil, io.EOF},
		{"only blank lines", "\n \n\r\n", 0, nil, io.EOF},
		{"ends inside a frame", "[1]\n[2", 0, []string{"[1]"}, io.ErrUnexpectedEOF},
		{"trailing blanks without newline", "[1]\n  ", 0, []string{"[1]"}, io.EOF},
		{"exactly max", "[12]\n", 4, []string{"[12]"}, io.EOF},
		{"exactly max with crlf", "[12]\r\n", 4, []string{"[12]"}, io.EOF},
		{"larger than the read buffer", big + "\n[2]\n", 0, []string{big, "[2]"}, io.EOF},
		{"over max", "[123]\n", 4, nil, connector.ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(NewReader(strings.NewReader(tt.in), tt.max))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("frames %q, want %q", got, tt.want)
			}
		})
	}
}

// An oversized frame is reported and skipped whole: the frames after it
// still arrive intact, even when the oversized line spans many reads.
func TestReaderStaysInStepAfterOversizedFrame(t *testing.T) {
	long := strings.Repeat("x", 200_000)
	in := "[1]\n" + long + "\n[2]\n"
	r := NewReader(iotest.OneByteReader(strings.NewReader(in)), 1000)
	f, err := r.ReadFrame()
	if err != nil || string(f) != "[1]" {
		t.Fatalf("first frame %q, %v", f, err)
	}
	if _, err := r.ReadFrame(); !errors.Is(err, connector.ErrFrameTooLarge) {
		t.Fatalf("oversized frame: error %v, want connector.ErrFrameTooLarge", err)
	}
	f, err = r.ReadFrame()
	if err != nil || string(f) != "[2]" {
		t.Fatalf("frame after the oversized one: %q, %v", f, err)
	}
}

// The reader hands out frames the caller may keep: later reads must not
// overwrite them.
func TestReaderFramesAreCallersOwn(t *testing.T) {
	r := NewReader(strings.NewReader("[1]\n[2]\n"), 0)
	a, _ := r.ReadFrame()
	b, _ := r.ReadFrame()
	if string(a) != "[1]" || string(b) != "[2]" {
		t.Fatalf("frames %q %q", a, b)
	}
}

func TestReaderPassesReadErrors(t *testing.T) {
	boom := errors.New("boom")
	_, err := NewReader(iotest.ErrReader(boom), 0).ReadFrame()
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
}

func TestWriterRejectsNewline(t *testing.T) {
	var buf bytes.Buffer
	if err := NewWriter(&buf).WriteFrame([]byte("[1,\n2]")); !errors.Is(err, ErrNewlineInFrame) {
		t.Fatalf("error %v, want ErrNewlineInFrame", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("wrote %q for a refused frame", buf.String())
	}
}

// lockedBuffer records each Write call separately so the test can see that
// a frame is never split across writes.
type lockedBuffer struct {
	mu     sync.Mutex
	writes []string
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes = append(b.writes, string(p))
	return len(p), nil
}

func TestWriterConcurrentFramesStayWhole(t *testing.T) {
	var out lockedBuffer
	w := NewWriter(&out)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := w.WriteFrame(fmt.Appendf(nil, "[%d,%d]", g, i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(out.writes) != writers*each {
		t.Fatalf("%d writes, want %d", len(out.writes), writers*each)
	}
	var all strings.Builder
	for _, s := range out.writes {
		if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
			t.Fatalf("write %q is not one terminated frame", s)
		}
		all.WriteString(s)
	}
	frames, err := readAll(NewReader(strings.NewReader(all.String()), 0))
	if !errors.Is(err, io.EOF) || len(frames) != writers*each {
		t.Fatalf("read back %d frames (%v), want %d", len(frames), err, writers*each)
	}
}

func TestWriterPassesWriteErrors(t *testing.T) {
	boom := errors.New("boom")
	w := NewWriter(errWriter{boom})
	if err := w.WriteFrame([]byte("[1]")); !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
}

type errWriter struct{ err error }

func (e errWriter) Write([]byte) (int, error) { return 0, e.err }

// FuzzReader: the reader never panics, never returns a frame with a newline
// or over the limit, and what the writer writes it reads back unchanged.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"", "\n", "[1]\n", "[1]\r\n\r\n[2]", "[" + strings.Repeat("0", 300) + "]\n", "\r\r\n\n"} {
		f.Add([]byte(s), uint16(64))
	}
	f.Fuzz(func(t *testing.T, in []byte, max uint16) {
		limit := int(max%512) + 1
		r := NewReader(bytes.NewReader(in), limit)
		for n := 0; n <= len(in); n++ {
			frame, err := r.ReadFrame()
			if err != nil {
				break
			}
			if bytes.IndexByte(frame, '\n') >= 0 || len(frame) > limit || len(bytes.TrimSpace(frame)) == 0 {
				t.Fatalf("bad frame %q (limit %d)", frame, limit)
			}
		}
		// Round trip through the writer for frames the format can carry.
		frame := bytes.TrimRight(bytes.ReplaceAll(in, []byte("\n"), nil), "\r")
		if len(bytes.TrimSpace(frame)) == 0 {
			return
		}
		var buf bytes.Buffer
		if err := NewWriter(&buf).WriteFrame(frame); err != nil {
			t.Fatalf("write %q: %v", frame, err)
		}
		got, err := NewReader(&buf, len(frame)).ReadFrame()
		if err != nil || !bytes.Equal(got, frame) {
			t.Fatalf("round trip of %q gave %q, %v", frame, got, err)
		}
	})
}
