package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while lineLog's timer writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type stringer string

func (s stringer) String() string { return string(s) }

var stamp = time.Date(2026, 12, 2, 3, 4, 5, 6e6, time.UTC)

func TestLineLogKeepsOrderAndFlushesStatusLines(t *testing.T) {
	var buf syncBuffer
	l := newLineLog(&buf)
	defer l.Close()
	l.record(stamp, "Hush", stringer(`write tx "Vibrate:1;"`))
	l.record(stamp, "Hush", stringer(`write tx "Vibrate:2;"`))
	l.printf("session %s\n", "ended")
	want := "03:04:05.006 Hush <- write tx \"Vibrate:1;\"\n" +
		"03:04:05.006 Hush <- write tx \"Vibrate:2;\"\n" +
		"session ended\n"
	if got := buf.String(); got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

func TestLineLogFlushesRecordsWhenIdle(t *testing.T) {
	var buf syncBuffer
	l := newLineLog(&buf)
	defer l.Close()
	for round := range 3 {
		line := strings.Repeat("x", round+1)
		l.record(stamp, "Hush", stringer(line))
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(buf.String(), "<- "+line+"\n") {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: record not flushed without Close; output %q", round, buf.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestLineLogCloseFlushes(t *testing.T) {
	var buf syncBuffer
	l := newLineLog(&buf)
	l.record(stamp, "Hush", stringer("before"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.record(stamp, "Hush", stringer("after"))
	if got, want := buf.String(), "03:04:05.006 Hush <- before\n03:04:05.006 Hush <- after\n"; got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}
