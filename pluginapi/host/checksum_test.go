package host_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bphost/bphost/pluginapi/host"
)

func TestParseChecksums(t *testing.T) {
	const a = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	const b = "60303AE22B998861BCE3B28F33EEC1BE758A213C86C93C076DBE9F558C11C752"
	for _, tc := range []struct {
		name string
		in   string
		want map[string]string // nil: an error
		err  string
	}{
		{"empty", "", map[string]string{}, ""},
		{"sha256sum text mode", a + "  bphost-connector-tcp\n", map[string]string{"bphost-connector-tcp": a}, ""},
		{"sha256sum binary mode, CRLF, comments", "# plugins\r\n\r\n" + b + " *bphost-connector-ws.exe\r\n   # indented comment\n",
			map[string]string{"bphost-connector-ws.exe": strings.ToLower(b)}, ""},
		{"no final newline", a + "  x", map[string]string{"x": a}, ""},
		{"tab", a + "\tx", map[string]string{"x": a}, ""},
		{"text mode, a name starting with *", a + "  *x\n" + b + " **\n", map[string]string{"*x": a, "*": strings.ToLower(b)}, ""},
		{"two", a + "  x\n" + b + "  y\n", map[string]string{"x": a, "y": strings.ToLower(b)}, ""},
		{"short sum", a[:63] + "  x\n", nil, "line 1: checksum"},
		{"not hex", strings.Repeat("g", 64) + "  x\n", nil, "is not 64 hex digits"},
		{"no name", a + "  \n", nil, "line 1: want"},
		{"no separator", a + "x\n", nil, "line 1: want"},
		{"directory", a + "  plugins/x\n", nil, "a file name without a directory"},
		{"windows directory", a + `  plugins\x` + "\n", nil, "a file name without a directory"},
		{"dot dot", a + "  ..\n", nil, "a file name without a directory"},
		{"duplicate", a + "  x\n# \n" + b + "  x\n", nil, "line 3: x is already listed on line 1"},
		{"long line", strings.Repeat("#", 5000) + "\n", nil, "after line 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := host.ParseChecksums(strings.NewReader(tc.in), "sums.txt")
			if tc.want == nil {
				if err == nil {
					t.Fatal("ParseChecksums accepted it")
				}
				mustContain(t, err, "checksum file sums.txt", tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Len() != len(tc.want) || c.Source() != "sums.txt" {
				t.Errorf("Len = %d, Source = %q", c.Len(), c.Source())
			}
			for name, sum := range tc.want {
				got, ok := c.Lookup(name)
				if !ok || hex.EncodeToString(got) != sum {
					t.Errorf("Lookup(%q) = %x, %v; want %s", name, got, ok, sum)
				}
			}
		})
	}
}

func TestLoadChecksumsFromTestdata(t *testing.T) {
	c, err := host.LoadChecksums(filepath.Join("testdata", "plugins.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2", c.Len())
	}
	if _, err := host.LoadChecksums(filepath.Join("testdata", "missing.sha256")); !os.IsNotExist(err) && !strings.Contains(fmt.Sprint(err), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParseChecksums: any input either fails with a message naming the file,
// or parses into entries that print back to a file that parses the same.
func FuzzParseChecksums(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.sha256"))
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Add([]byte("0000000000000000000000000000000000000000000000000000000000000000 *a\r\n"))
	f.Add([]byte("# x\n\n\t\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := host.ParseChecksums(bytes.NewReader(in), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "checksum file fuzz") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Print each entry back and parse again.
		var out strings.Builder
		names := map[string][]byte{}
		for _, line := range strings.Split(string(in), "\n") {
			line = strings.TrimRight(line, " \t\r")
			if len(line) < 66 || strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
				continue
			}
			name := strings.TrimLeft(line[65:], " \t")
			if line[65] == '*' {
				name = line[66:]
			}
			sum, ok := c.Lookup(name)
			if !ok {
				t.Fatalf("entry %q lost", name)
			}
			names[name] = sum
			fmt.Fprintf(&out, "%x  %s\n", sum, name)
		}
		if len(names) != c.Len() {
			t.Fatalf("%d names seen, Len %d", len(names), c.Len())
		}
		c2, err := host.ParseChecksums(strings.NewReader(out.String()), "again")
		if err != nil {
			t.Fatalf("printed entries do not parse: %v\n%s", err, out.String())
		}
		for name, sum := range names {
			if got, _ := c2.Lookup(name); !bytes.Equal(got, sum) {
				t.Fatalf("%q: %x after a round trip, was %x", name, got, sum)
			}
		}
	})
}
