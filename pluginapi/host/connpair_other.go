//go:build !unix

package host

import "net"

// connPair returns the two ends of a net.Pipe, where there are no Unix
// socketpairs.
func connPair() (net.Conn, net.Conn, error) {
	a, b := net.Pipe()
	return a, b, nil
}
