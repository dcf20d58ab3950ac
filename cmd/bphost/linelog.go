package main

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"time"
)

// recordFlushDelay bounds how long a device-write line waits in the buffer:
// short enough that someone watching serve's output sees writes as they
// happen, long enough that a client driving a toy hundreds of times a second
// costs one write syscall per delay, not one per command.
const recordFlushDelay = 20 * time.Millisecond

// lineLog serializes the lines serve prints from several goroutines. Status
// lines (printf) are written through at once; device-write lines (record),
// which come once per command, are buffered and flushed after
// recordFlushDelay, with whatever came before them, so a pipelining client
// does not pay a syscall per command. Lines stay in the order they were
// printed. Close flushes what is left.
type lineLog struct {
	mu      sync.Mutex
	w       *bufio.Writer
	timer   *time.Timer
	armed   bool
	closed  bool
	pending sync.WaitGroup // a flush timer armed and not yet run or stopped
}

func newLineLog(w io.Writer) *lineLog {
	return &lineLog{w: bufio.NewWriterSize(w, 64<<10)}
}

// printf writes a status line and flushes it, and every buffered line
// before it, at once.
func (l *lineLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
	l.w.Flush()
}

// record writes a device-write line stamped with now, flushed within
// recordFlushDelay.
func (l *lineLog) record(now time.Time, name string, r fmt.Stringer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.w.AvailableBuffer()
	b = now.AppendFormat(b, "15:04:05.000")
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, " <- "...)
	b = append(b, r.String()...)
	b = append(b, '\n')
	l.w.Write(b)
	if l.closed {
		l.w.Flush()
		return
	}
	if !l.armed {
		l.armed = true
		l.pending.Add(1)
		if l.timer == nil {
			l.timer = time.AfterFunc(recordFlushDelay, l.flushTimer)
		} else {
			l.timer.Reset(recordFlushDelay)
		}
	}
}

func (l *lineLog) flushTimer() {
	defer l.pending.Done()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.armed = false
	l.w.Flush()
}

// Close flushes every buffered line and stops the flush timer; lines
// recorded afterwards are written through.
func (l *lineLog) Close() error {
	l.mu.Lock()
	l.closed = true
	if l.armed && l.timer.Stop() {
		l.armed = false
		l.pending.Done()
	}
	err := l.w.Flush()
	l.mu.Unlock()
	l.pending.Wait()
	return err
}
