package httpapi_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzOutputRoute: whatever the path segments of an output request, the
// answer is 200, a redirect to the cleaned path, or a 4xx JSON error, and
// a refused request sends nothing.
func FuzzOutputRoute(f *testing.F) {
	for _, seed := range [][4]string{
		{"0", "0", "Vibrate", "0.5"}, {"1", "0", "vibrate", "NaN"}, {"0", "1", "Vibrate", "1"},
		{"x", "0", "Rotate", "-1"}, {"1", "0", "Rotate", "-0.3"}, {"0", "0", "Vibrate", "1e309"},
		{"4294967296", "0", "Vibrate", "0"}, {"0", "-1", "HwPositionWithDuration", ".5"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	r := newRig(f, true)
	f.Fuzz(func(t *testing.T, dev, feat, typ, level string) {
		path := "/api/v1/devices/" + url.PathEscape(dev) + "/features/" + url.PathEscape(feat) +
			"/outputs/" + url.PathEscape(typ) + "/" + url.PathEscape(level)
		u, err := url.Parse("http://127.0.0.1" + path)
		if err != nil {
			return
		}
		req := httptest.NewRequest("PUT", "http://127.0.0.1/", nil)
		req.URL = u
		req.Header.Set("X-Bphost-Token", r.api.Token())
		before := r.writes()
		rec := httptest.NewRecorder()
		r.api.ServeHTTP(rec, req)
		switch {
		case rec.Code == 200:
			return
		case rec.Code >= 300 && rec.Code < 400: // the mux cleaning "." or ".." out of the path
			if r.writes() != before {
				t.Fatalf("PUT %s was redirected (%d) but a toy received a write", path, rec.Code)
			}
			return
		case rec.Code < 400 || rec.Code >= 500:
			t.Fatalf("PUT %s = %d %s", path, rec.Code, rec.Body)
		}
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Fatalf("PUT %s = %d with body %q, want a JSON error", path, rec.Code, rec.Body)
		}
		if r.writes() != before {
			t.Fatalf("PUT %s was refused (%d) but a toy received a write", path, rec.Code)
		}
	})
}
