// Package framing delimits Buttplug frames on byte streams (TCP, Unix domain
// sockets, named pipes), where no framing is defined by the Buttplug spec.
//
// The format: each frame is one JSON array written on a single line and
// terminated by "\n". Readers also accept "\r\n" and skip empty lines. A frame
// must not contain a raw newline; compact JSON never does, because JSON
// strings escape control characters.
package framing

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/bphost/bphost/core/connector"
)

// ErrNewlineInFrame is returned when asked to write a frame containing "\n".
var ErrNewlineInFrame = errors.New("framing: frame contains a newline")

// Reader reads newline-delimited frames.
type Reader struct {
	br  *bufio.Reader
	max int
}

// NewReader reads frames from r, refusing frames longer than max bytes
// (connector.MaxFrame, what transports use, when max <= 0) with an error
// wrapping connector.ErrFrameTooLarge; the line is skipped and the next
// ReadFrame goes on after it.
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = connector.MaxFrame
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// ReadFrame returns the next frame without its line terminator. The returned
// slice is the caller's. At a clean end of stream it returns io.EOF; a stream
// that ends inside a frame returns io.ErrUnexpectedEOF.
func (r *Reader) ReadFrame() ([]byte, error) {
	for {
		var frame []byte
		for {
			chunk, err := r.br.ReadSlice('\n')
			if len(frame)+len(chunk) > r.max+2 { // +2 leaves room for "\r\n"
				r.discardLine(err)
				return nil, fmt.Errorf("%w: more than %d bytes", connector.ErrFrameTooLarge, r.max)
			}
			frame = append(frame, chunk...)
			if err == nil {
				break
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) && len(bytes.TrimSpace(frame)) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		frame = bytes.TrimRight(frame, "\r\n")
		if len(bytes.TrimSpace(frame)) == 0 {
			continue
		}
		if len(frame) > r.max {
			return nil, fmt.Errorf("%w: %d bytes, limit %d", connector.ErrFrameTooLarge, len(frame), r.max)
		}
		return frame, nil
	}
}

// discardLine skips the rest of an oversized line so the stream stays in
// step; err is the error of the last read.
func (r *Reader) discardLine(err error) {
	for errors.Is(err, bufio.ErrBufferFull) {
		_, err = r.br.ReadSlice('\n')
	}
}

// Writer writes newline-delimited frames; it is safe for concurrent use and
// never interleaves two frames.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter writes frames to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteFrame writes frame and its terminator in one Write call.
func (w *Writer) WriteFrame(frame []byte) error {
	if bytes.IndexByte(frame, '\n') >= 0 {
		return ErrNewlineInFrame
	}
	buf := make([]byte, 0, len(frame)+1)
	buf = append(append(buf, frame...), '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.w.Write(buf)
	return err
}
