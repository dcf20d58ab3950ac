//go:build !windows

package stream

func isWindowsAbsent(error) bool { return false }
