package pluginapi

// survivePipes does nothing on Windows: a broken pipe there is an error of
// the write, never a signal.
func survivePipes() {}
