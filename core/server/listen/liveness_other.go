//go:build !linux

package listen

import (
	"net"
	"time"
)

// setUserTimeout does nothing here: TCP_USER_TIMEOUT is Linux's; keepalive
// alone bounds an idle connection.
func setUserTimeout(*net.TCPConn, time.Duration) error { return nil }
