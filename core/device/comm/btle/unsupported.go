//go:build !linux && !windows && !(darwin && cgo)

package btle

import (
	"context"
	"fmt"
	"runtime"
)

func newRadio(context.Context, options) (radio, error) {
	if runtime.GOOS == "darwin" {
		return nil, fmt.Errorf("%w: this build has no cgo, and Bluetooth on macOS (CoreBluetooth) needs it: rebuild with CGO_ENABLED=1 on a Mac with the Xcode command line tools", ErrUnavailable)
	}
	return nil, fmt.Errorf("%w: no Bluetooth LE support on %s", ErrUnavailable, runtime.GOOS)
}
