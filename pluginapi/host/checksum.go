package host

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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
	// A '*' right after the separator is sha256sum's binary mode; after
	// the text mode's second space it is part of the name.
	name = strings.TrimLeft(line[65:], " \t")
	if line[65] == '*' {
		name = line[66:]
	}
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

// LoadChecksums reads the checksum file at path. A checksum file others may
// change decides nothing: it is refused (ErrInsecure) on the rules that hold
// for plugins (see Launch).
func LoadChecksums(path string) (*Checksums, error) {
	real, err := resolveSafe("checksum file", path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, fmt.Errorf("checksum file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("checksum file: %w", err)
	}
	if err := checkFile("checksum file", path, fi); err != nil {
		return nil, err
	}
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

// verify checks the open plugin file f, found at path, against the
// checksum file: the hash is of the very file the host then runs.
func (c *Checksums) verify(path string, f *os.File) error {
	name := filepath.Base(path)
	l, ok := c.sums[name]
	if !ok {
		return fmt.Errorf("refusing plugin %s: %w %s (add its `sha256sum` line, or run without the checksum file)",
			path, ErrNotListed, c.source)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("refusing plugin %s: checksum: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("refusing plugin %s: checksum: %w", path, err)
	}
	if sum := h.Sum(nil); subtle.ConstantTimeCompare(sum, l.sum) != 1 {
		return fmt.Errorf("refusing plugin %s: %w: its sha256 is %x, checksum file %s line %d expects %x",
			path, ErrChecksumMismatch, sum, c.source, l.line, l.sum)
	}
	return nil
}

// Verify checks that the plugin at path may run (see Launch): the checks of
// openVerified, on a file it then closes. Errors wrap ErrInsecure,
// ErrNotListed or ErrChecksumMismatch and name the file and the reason.
func Verify(path string, sums *Checksums) error {
	f, err := openVerified(path, sums)
	if err != nil {
		return err
	}
	return f.Close()
}

// openVerified resolves path's symbolic links, checking every directory on
// the way (resolveSafe), opens the real file once and checks the open file:
// a regular file, owned by root or this user, writable by no one else, and,
// when sums is not nil, listed there with its sha256. The host runs the file
// it returns, not the path again, so that a file swapped after the check is
// not the one that runs.
func openVerified(path string, sums *Checksums) (*os.File, error) {
	real, err := resolveSafe("plugin", path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("refusing plugin %s: not a regular file (%s)", path, fi.Mode().Type())
	}
	if err == nil {
		err = checkFile("plugin", path, fi)
	}
	if err == nil && sums != nil {
		err = sums.verify(path, f)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
