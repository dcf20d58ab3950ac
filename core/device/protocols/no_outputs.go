package protocols

import "github.com/bphost/bphost/core/device/config"

// noOutputs is the handler of a device that connects and shows up but has
// nothing to drive: its configuration gives it no outputs, so the device
// layer never routes an output to it; one that arrives anyway (a user
// configuration adding a feature the protocol cannot encode) is refused
// instead of guessed at.
func noOutputs(*config.Definition) (Handler, error) {
	return HandlerFunc(func(o Output) ([]Command, error) { return nil, Unsupported(o) }), nil
}
