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
