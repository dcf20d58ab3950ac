package devicetest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bphost/bphost/core/device/devicetest"
)

// vectorFloor is the number of the bundled vector files that pass; a
// regression below it fails the test. Raise it as protocols are added.
const vectorFloor = 81

func runVectors(t *testing.T, dir string) (passed, total int) {
	t.Helper()
	results, err := devicetest.RunDir(context.Background(), dir, devicetest.NewDirectClient, devicetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	passed = devicetest.Summary(&sb, results)
	t.Log("\n" + sb.String())
	return passed, len(results)
}

func TestVectors(t *testing.T) {
	passed, total := runVectors(t, filepath.Join("..", "testdata", "device-tests"))
	t.Logf("bundled vectors: %d/%d passed", passed, total)
	if passed < vectorFloor {
		t.Errorf("%d vector files passed, below the floor of %d", passed, vectorFloor)
	}
}

func TestVectorsFromEnv(t *testing.T) {
	dir := os.Getenv("BPHOST_DEVICE_TESTS")
	if dir == "" {
		t.Skip("BPHOST_DEVICE_TESTS not set")
	}
	passed, total := runVectors(t, dir)
	t.Logf("%s: %d/%d passed", dir, passed, total)
}
