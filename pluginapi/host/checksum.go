package host

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-plugin"
)

// Checksums is a checksum file: the sha256 each plugin executable must have.
// When a host runs with one, a plugin it does not list is refused, and so is
// a plugin whose sha256 differs.
//
// The format is what `sha256sum bphost-connector-*` prints, so that command,
// run in a plugin directory, writes a valid file:
//
//	# comment lines and blank lines are ignored
//	<64 hex digits><space><space or *><executable file name>
//
// The name is the executable's file name without a directory (it applies in
// every plugin directory), e.g. bphost-connector-tcp or
// bphost-connector-tcp.exe; each name appears once. Hex digits may be upper
// or lower case; lines may end in CRLF.
type Checksums struct {
	source string
	sums   map[string]checksumLine
}

type checksumLine struct {
	sum  []byte
	line int
}

// maxChecksumLine bounds one line of a checksum file.
const maxChecksumLine = 4096

// ParseChecksums reads a checksum file; source names it in errors.
func ParseChecksums(r io.Reader, source string) (*Checksums, error) {
	c := &Checksums{source: source, sums: map[string]checksumLine{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxChecksumLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" || strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
			continue
		}
		name, sum, err := parseChecksumLine(line)
		if err != nil {
			return nil, fmt.Errorf("checksum file %s line %d: %w", source, n, err)
		}
		if prev, dup := c.sums[name]; dup {
			return nil, fmt.Errorf("checksum file %s line %d: %s is already listed on line %d", source, n, name, prev.line)
		}
		c.sums[name] = checksumLine{sum: sum, line: n}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("checksum file %s after line %d: %w", source, n, err)
	}
	return c, nil
}

func parseChecksumLine(line string) (name string, sum []byte, err error) {
	if len(line) < 66 || (line[64] != ' ' && line[64] != '\t') {
		return "", nil, fmt.Errorf("want <64 hex digits>  <file name>, got %q", clip(line))
	}
	sum, err = hex.DecodeString(line[:64])
	if err != nil {
		return "", nil, fmt.Errorf("checksum %q is not 64 hex digits", clip(line[:64]))
	}
	name = strings.TrimLeft(line[65:], " \t")
	name = strings.TrimPrefix(name, "*")
	switch {
	case name == "":
		return "", nil, fmt.Errorf("no file name after the checksum")
	case strings.TrimSpace(name) != name:
		return "", nil, fmt.Errorf("file name %q starts or ends with white space", clip(name))
	case strings.ContainsAny(name, `/\`) || name == "." || name == "..":
		return "", nil, fmt.Errorf("%q: a file name without a directory is expected", clip(name))
	}
	return name, sum, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// LoadChecksums reads the checksum file at path.
func LoadChecksums(path string) (*Checksums, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checksum file: %w", err)
	}
	defer f.Close()
	return ParseChecksums(f, path)
}

// Source is the file the checksums came from.
func (c *Checksums) Source() string { return c.source }

// Lookup returns the sha256 listed for an executable's file name.
func (c *Checksums) Lookup(name string) (sum []byte, ok bool) {
	l, ok := c.sums[name]
	return l.sum, ok
}

// Len is the number of plugins listed.
func (c *Checksums) Len() int { return len(c.sums) }

// verify checks path against the file with go-plugin's SecureConfig. The
// host calls SecureConfig.Check itself, just before starting the process,
// because go-plugin ignores ClientConfig.SecureConfig's path when a
// RunnerFunc starts the plugin (see internal/proc).
func (c *Checksums) verify(path string) error {
	name := filepath.Base(path)
	l, ok := c.sums[name]
	if !ok {
		return fmt.Errorf("refusing plugin %s: %w %s (add its `sha256sum` line, or run without the checksum file)",
			path, ErrNotListed, c.source)
	}
	sc := &plugin.SecureConfig{Checksum: l.sum, Hash: sha256.New()}
	match, err := sc.Check(path)
	if err != nil {
		return fmt.Errorf("refusing plugin %s: checksum: %w", path, err)
	}
	if !match {
		return fmt.Errorf("refusing plugin %s: %w: its sha256 is %s, checksum file %s line %d expects %s",
			path, ErrChecksumMismatch, fileSum(path), c.source, l.line, hex.EncodeToString(l.sum))
	}
	return nil
}

// fileSum is the hex sha256 of a file, for messages.
func fileSum(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unreadable (" + err.Error() + ")"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unreadable (" + err.Error() + ")"
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks that the plugin at path may run: neither it nor its
// directory is writable by every user (Unix), and, when sums is not nil, it
// is listed there with its sha256. Errors wrap ErrInsecure, ErrNotListed or
// ErrChecksumMismatch and name the file and the reason. Launch calls it.
func Verify(path string, sums *Checksums) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("plugin %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("refusing plugin %s: not a regular file (%s)", path, fi.Mode().Type())
	}
	if err := checkWritable(path, fi); err != nil {
		return err
	}
	if sums != nil {
		return sums.verify(path)
	}
	return nil
}
