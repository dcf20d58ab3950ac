package device

// QueuedBatches reports how many command batches wait for the device
// goroutine, so tests can order concurrent calls without sleeping.
func (d *Device) QueuedBatches() int { return len(d.reqs) }
