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
//   - libo-karen (Libo Karen, a kegel trainer): the configuration gives it
//     no outputs and no inputs, and its one interesting part, the pressure
//     sensor on rxpressure, has no documented format (the reference has
//     never implemented it either). A handler would connect a device that
//     can do nothing.
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
//   - muse (Dream Lover Archer 2, Galaku Panty Vib): no implementation in
//     buttplug-rs or buttplug-csharp. The only description, notes on
//     STPIHKAL issue #65, has a 2-byte command whose speed lasts about a
//     second and whose second byte is unexplained: not enough to write.
//   - sayberx: no implementation in the reference either; notes on
//     STPIHKAL issue #66 describe an ASCII "AT+SPD<nn>" speed command that
//     no implementation confirms, and the X-Ring is an input ring the
//     configuration gives no features.
//   - twerkingbutt: the configuration gives it no features, and no
//     implementation exists; there is nothing for a handler to drive.
