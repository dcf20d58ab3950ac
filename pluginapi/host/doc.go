// Package host is the host side of bphost's connector plugins: it finds
// plugin executables, starts them, and gives a connector.Connector for
// core/client whose frames a plugin carries. Plugins are written with
// package pluginapi.
//
// Dirs lists the plugin directories in search order (flags,
// BPHOST_PLUGIN_PATH, the user config dir's bphost/plugins, plugins/ beside
// the executable); Discover finds the executables there, the earliest of a
// name winning. Launch verifies one (its real file and every directory on
// the way owned by root or this user and writable by no one else; its
// sha256 when a Checksums file is in force, hashed from the descriptor that
// is then executed), starts it and reads its Description;
// Plugin.Connector returns a connector.Connector. NewInProcess serves a
// pluginapi.Transport in this process through the same contract, without
// a binary. A plugin that crashes ends its sessions with ErrPluginExited
// within a second and is started again by the next Connect; one that stops
// answering is killed after Config.HangTimeout (3 s) and ends them with
// ErrPluginHung. Plugins never
// outlive their host: each exits when the host's end of its stdin closes,
// which happens however the host ends; Cleanup and SignalContext close them
// in order on the way out.
package host
