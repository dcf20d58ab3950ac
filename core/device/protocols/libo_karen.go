package protocols

// The Libo Karen (advertised as SuoYinQiu) is a kegel trainer: the
// configuration gives it no outputs and no inputs. buttplug-csharp's LiBo
// protocol (Buttplug/Devices/Protocols/LiBoProtocol.cs, "Karen", zero
// vibrators) connected it without a handshake and sent nothing, even on
// stop, and so does this: the device connects and appears. Its pressure
// sensor (rxpressure) has no documented format, so it is not read.
// buttplug-rs 10.x has no implementation and leaves the device unconnected.
func init() {
	RegisterGeneric("libo-karen", noOutputs)
}
