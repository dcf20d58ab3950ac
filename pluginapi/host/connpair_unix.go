//go:build unix

package host

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// connPair returns the two ends of a Unix socketpair: kernel-buffered like
// the plugin's own socket, with no name in the file system. (net.Pipe hands
// every write over in lockstep, which made the in-process frame path ~30%
// slower.)
func connPair() (net.Conn, net.Conn, error) {
	// ForkLock keeps a plugin started meanwhile from inheriting the pair
	// before it is close-on-exec.
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	a, err := fileConn(fds[0], "bphost-in-process-host")
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, err
	}
	b, err := fileConn(fds[1], "bphost-in-process-plugin")
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, b, nil
}

// fileConn makes a net.Conn of socket fd, which it takes over.
func fileConn(fd int, name string) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close() // net.FileConn dups the descriptor
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	return c, nil
}
