package protocols

// Protocols of the device configuration that are deliberately not
// registered here. A device of them is found but not connected, and the
// simulated backend refuses to create one.
//
//   - lovense-connect-service: not a Bluetooth protocol. Toys are reached
//     through the Lovense Connect app's HTTP service on the local network
//     (found through Lovense's web API, toys listed with GetToys, every
//     command a web request), a kind of communication the device layer
//     does not have; Lovense toys in Bluetooth range are handled by
//     "lovense".
//   - xinput (Xbox gamepads): driven through the Windows XInput API
//     (XInputSetState with two motor speeds), not through bytes on a link.
//     comm has an "xinput" bus for matching, but no backend speaks it and
//     the simulated backend cannot create such a device. The reference's
//     packet (two little-endian u16 speeds on tx) is a private convention
//     between its protocol and its own XInput manager, so registering it
//     would pretend to a link that does not exist.
//   - rez-trancevibrator (USB): the speed travels as a USB vendor control
//     transfer (request 1, wValue = speed), not as an endpoint write. USB
//     devices are opened with tx and rx only (config.Specifier.Services)
//     and nothing maps the txvendorcontrol endpoint to a control transfer;
//     buttplug-rs dropped the protocol together with its USB support.
//
// muse, sayberx, twerkingbutt and libo-karen, which buttplug-rs 10.x does
// not implement either, are registered in their own files, each saying what
// it is built from.
