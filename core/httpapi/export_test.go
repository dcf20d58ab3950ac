package httpapi

// SetBeforeQueue makes f run inside every output request, after its checks
// and before it queues, so a test can land a stop there.
func (a *API) SetBeforeQueue(f func()) { a.beforeQueue = f }
