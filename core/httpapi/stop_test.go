package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A stop that comes in while an output request is being handled wins: the
// output is refused with 409 and the toy's last write is the stop.
func TestStopWinsOverOutputUnderWay(t *testing.T) {
	r := newRig(t, true)
	hush := r.index("Lovense Hush")
	sd := r.sim("Lovense Hush")
	if st, body := r.do("PUT", "/api/v1/devices/"+hush+"/outputs/Vibrate/0.25"); st != 200 {
		t.Fatalf("vibrate: %d %s", st, body)
	}
	lastWrite(t, sd, "Vibrate:5;")
	var once sync.Once
	r.api.SetBeforeQueue(func() {
		once.Do(func() {
			req := httptest.NewRequest("PUT", "http://127.0.0.1/api/v1/devices/stop", nil)
			req.Header.Set("X-Bphost-Token", r.api.Token())
			rec := httptest.NewRecorder()
			r.api.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Errorf("stop all: %d %s", rec.Code, rec.Body)
			}
		})
	})
	st, body := r.do("PUT", "/api/v1/devices/"+hush+"/outputs/Vibrate/1")
	if st != http.StatusConflict || !strings.Contains(body, "a stop came in") {
		t.Fatalf("output overtaken by a stop = %d %s, want 409", st, body)
	}
	lastWrite(t, sd, "Vibrate:0;")
	for _, w := range sd.Writes() {
		if string(w.Data) == "Vibrate:20;" {
			t.Fatal("the output the stop overtook reached the toy")
		}
	}
	// The next request, sent after the stop, goes through.
	if st, body := r.do("PUT", "/api/v1/devices/"+hush+"/outputs/Vibrate/0.5"); st != 200 {
		t.Fatalf("vibrate after the stop: %d %s", st, body)
	}
	lastWrite(t, sd, "Vibrate:10;")
}
