package devicetest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/device/devicetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const goodCase = `devices:
  - identifier:
      name: "LVS-Test"
    expected_name: "Lovense Hush"
device_init:
  - !Commands
      device_index: 0
      commands:
        - !Subscribe
            endpoint: rx
        - !Write
            endpoint: tx
            data: [68, 101, 118, 105, 99, 101, 84, 121, 112, 101, 59]
            write_with_response: false
  - !Events
      device_index: 0
      events:
        - !Notifications
          - endpoint: rx
            data: [90, 58, 49, 49, 58, 48, 48, 59]
device_commands:
  - !Messages
      device_index: 0
      messages:
        - !Vibrate
          - Index: 0
            Speed: 0.5
  - !Commands
      device_index: 0
      commands:
        - !Write
            endpoint: tx
            data: [86, 105, 98, 114, 97, 116, 101, 58, 49, 48, 59]
            write_with_response: false
  - !VersionGated
      min_spec_version: 5
      commands:
        - !Messages
            device_index: 0
            messages:
              - !Stop
        - !Commands
            device_index: 0
            commands:
              - !Write
                  endpoint: tx
                  data: [0]
                  write_with_response: false
`

func writeCase(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParse(t *testing.T) {
	c, err := devicetest.Parse([]byte(goodCase))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Init) != 2 || len(c.Commands) != 4 || c.Commands[2].MinSpec != 5 || c.Commands[0].Messages[0].Subs[0].Value != 0.5 {
		t.Fatalf("parsed %+v", c)
	}
	bad := []struct{ name, yaml, want string }{
		{"unknown step", strings.Replace(goodCase, "!Events", "!Eventz", 1), "unknown step tag"},
		{"unknown message", strings.Replace(goodCase, "!Vibrate", "!Wobble", 1), "unknown message"},
		{"unknown command", strings.Replace(goodCase, "!Subscribe", "!Subscrib", 1), "unknown hardware command"},
		{"bad byte", strings.Replace(goodCase, "[90, 58,", "[900, 58,", 1), "bad byte"},
		{"unknown key", strings.Replace(goodCase, "expected_name", "expected_nam", 1), "unknown device key"},
		{"no devices", "device_commands: []\n", "no devices"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			_, err := devicetest.Parse([]byte(b.yaml))
			if err == nil || !strings.Contains(err.Error(), b.want) {
				t.Fatalf("err = %v, want %q", err, b.want)
			}
		})
	}
}

func TestRunPassAndMismatch(t *testing.T) {
	dir := t.TempDir()
	writeCase(t, dir, "a_good.yaml", goodCase)
	// Expect "Vibrate:11;" where the device gets "Vibrate:10;": the runner
	// must say so, with the line of the expectation.
	writeCase(t, dir, "b_wrong.yaml", strings.Replace(goodCase, "[86, 105, 98, 114, 97, 116, 101, 58, 49, 48, 59]", "[86, 105, 98, 114, 97, 116, 101, 58, 49, 49, 59]", 1))
	writeCase(t, dir, "c_broken.yaml", "devices: [")
	results, err := devicetest.RunDir(context.Background(), dir, devicetest.NewDirectClient, devicetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if n := devicetest.Summary(&out, results); n != 1 {
		t.Fatalf("%d passed:\n%s", n, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"1 passed, 2 failed",
		"FAIL b_wrong.yaml: line 31: operation 1 of 1: expected Write tx [86 105 98 114 97 116 101 58 49 49 59], got Write tx [86 105 98 114 97 116 101 58 49 48 59]",
		"FAIL c_broken.yaml: parse:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

func TestNothingSkippedSilently(t *testing.T) {
	if _, err := devicetest.Files(t.TempDir()); err == nil {
		t.Fatal("empty directory accepted")
	}
	if _, err := devicetest.Files(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing directory accepted")
	}
}

func TestToSteps(t *testing.T) {
	cases := []struct {
		v    float64
		max  int32
		want int32
	}{{0.5, 20, 10}, {0.01, 20, 1}, {0, 20, 0}, {1, 20, 20}, {0.51, 100, 51}, {0.25, 3, 1}}
	for _, c := range cases {
		if got, err := devicetest.ToSteps(c.v, c.max); err != nil || got != c.want {
			t.Errorf("ToSteps(%v, %d) = %d, %v; want %d", c.v, c.max, got, err, c.want)
		}
	}
	if _, err := devicetest.ToSteps(1.5, 20); err == nil {
		t.Error("1.5 accepted")
	}
}
