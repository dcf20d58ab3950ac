package stream

import (
	"errors"
	"syscall"
)

// Windows reports a missing named pipe as ERROR_FILE_NOT_FOUND (2) and a
// refused TCP connection as WSAECONNREFUSED (10061).
func isWindowsAbsent(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && (errno == 2 || errno == 10061)
}
