//go:build !windows

package pluginapi

import (
	"os"
	"os/signal"
	"syscall"
)

// survivePipes makes a write to a broken pipe on stdout or stderr fail with
// EPIPE instead of killing the process (Go's default for fds 1 and 2).
// Notify, not Ignore: an ignored SIGPIPE would be inherited by programs the
// transport starts. Nothing reads the channel; signals past its one slot are
// dropped, which is all that is wanted.
func survivePipes() { signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE) }
