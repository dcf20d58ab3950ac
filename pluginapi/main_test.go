package pluginapi_test

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// The plugin side leaves no goroutine behind once its sessions are closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// mustContain fails unless err's text has every part.
func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not say %q", err, p)
		}
	}
}
