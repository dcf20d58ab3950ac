package proc

import (
	"bytes"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// LineLogger logs what a plugin writes to its (redirected) stdout or
// stderr, one debug entry per line.
type LineLogger struct {
	log    hclog.Logger
	stream string

	mu   sync.Mutex
	part []byte
}

// maxLogLine bounds a line kept while waiting for its end.
const maxLogLine = 64 << 10

// NewLineLogger logs the lines of stream ("stdout", "stderr") to log.
func NewLineLogger(log hclog.Logger, stream string) *LineLogger {
	return &LineLogger{log: log, stream: stream}
}

// Write logs every line completed by b.
func (l *LineLogger) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, b...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		l.emit(l.part[:i])
		l.part = l.part[i+1:]
	}
	if len(l.part) > maxLogLine {
		l.emit(l.part)
		l.part = nil
	}
	l.part = append([]byte(nil), l.part...)
	return len(b), nil
}

func (l *LineLogger) emit(line []byte) {
	if line = bytes.TrimRight(line, "\r"); len(line) > 0 {
		l.log.Debug("plugin output", "stream", l.stream, "line", string(line))
	}
}
