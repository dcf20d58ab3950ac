package protocols

// The Twerking Butt (BODIKANG): the configuration gives it no features and
// no implementation describes its packets (buttplug-rs 10.x has none and
// leaves the device unconnected), so the device connects without a
// handshake and appears with nothing to drive.
func init() {
	RegisterGeneric("twerkingbutt", noOutputs)
}
