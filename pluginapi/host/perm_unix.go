//go:build !windows

package host

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxLinks bounds the symbolic links followed resolving one path, as the
// kernel's ELOOP does.
const maxLinks = 40

// resolveSafe returns the real path of path (an executable or a checksum
// file; what names it in errors) after checking every directory its
// resolution passes through, from / down, including the directories of the
// symbolic links on the way: each must be owned by root or by this process's
// user, and writable by no one else. A directory writable by others is
// accepted only when it is sticky (like /tmp, mode 1777) and the entry taken
// from it is owned by root or this user: the sticky bit lets others add
// entries there but not rename, replace or remove one they do not own.
// Errors wrap ErrInsecure and name the directory and how to fix it.
func resolveSafe(what, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, path, err)
	}
	cur := "/"
	curFi, err := checkedDir(what, path, cur)
	if err != nil {
		return "", err
	}
	rest := components(abs)
	for links := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		if name == ".." {
			cur = filepath.Dir(cur)
			if curFi, err = checkedDir(what, path, cur); err != nil {
				return "", err
			}
			continue
		}
		next := filepath.Join(cur, name)
		fi, err := os.Lstat(next)
		if err != nil {
			return "", fmt.Errorf("%s %s: %w", what, path, err)
		}
		if othersWrite(curFi) && !ownedSafely(fi) {
			return "", fmt.Errorf("refusing %s %s: %w: %s is in %s, which others may write to, and is owned by uid %d, not by root or this user",
				what, path, ErrInsecure, next, cur, owner(fi))
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			if links++; links > maxLinks {
				return "", fmt.Errorf("%s %s: too many symbolic links", what, path)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return "", fmt.Errorf("%s %s: %w", what, path, err)
			}
			if filepath.IsAbs(target) {
				cur = "/"
				if curFi, err = checkedDir(what, path, cur); err != nil {
					return "", err
				}
			}
			rest = append(components(target), rest...)
			continue
		}
		cur = next
		if len(rest) == 0 {
			break
		}
		if !fi.IsDir() {
			return "", fmt.Errorf("%s %s: %s is not a directory", what, path, next)
		}
		if err := checkDir(what, path, cur, fi); err != nil {
			return "", err
		}
		curFi = fi
	}
	return cur, nil
}

// components splits a path into its names, dropping empty ones and ".".
func components(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// checkedDir stats dir and checks it (see checkDir).
func checkedDir(what, path, dir string) (os.FileInfo, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return fi, checkDir(what, path, dir, fi)
}

// checkDir refuses a directory that another user owns, or that others may
// write to without the sticky bit.
func checkDir(what, path, dir string, fi os.FileInfo) error {
	if !ownedSafely(fi) {
		return fmt.Errorf("refusing %s %s: %w: directory %s is owned by uid %d, not by root or this user; whoever owns it can replace what it holds",
			what, path, ErrInsecure, dir, owner(fi))
	}
	if othersWrite(fi) && fi.Mode()&os.ModeSticky == 0 {
		return fmt.Errorf("refusing %s %s: %w: directory %s %s", what, path, ErrInsecure, dir, writers(dir, fi))
	}
	return nil
}

// checkFile refuses an opened plugin or checksum file that another user
// owns or others may write to; fi is its Stat.
func checkFile(what, path string, fi os.FileInfo) error {
	if !ownedSafely(fi) {
		return fmt.Errorf("refusing %s %s: %w: it is owned by uid %d, not by root or this user (uid %d)",
			what, path, ErrInsecure, owner(fi), os.Geteuid())
	}
	if othersWrite(fi) {
		return fmt.Errorf("refusing %s %s: %w: the file %s", what, path, ErrInsecure, writers(path, fi))
	}
	return nil
}

// writers says who else may write to the file at path, and the fix.
func writers(path string, fi os.FileInfo) string {
	if fi.Mode().Perm()&0o002 != 0 {
		return fmt.Sprintf("is writable by every user (mode %s); fix it with: chmod o-w %s", fi.Mode().Perm(), path)
	}
	return fmt.Sprintf("is writable by its group, which is neither root's nor this user's (mode %s); fix it with: chmod g-w %s", fi.Mode().Perm(), path)
}

// othersWrite reports whether users other than the owner and root may
// write to the file: world-writable, or group-writable for a group that is
// neither root's nor this process's.
func othersWrite(fi os.FileInfo) bool {
	m := fi.Mode().Perm()
	if m&0o002 != 0 {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return m&0o020 != 0 && (!ok || (st.Gid != 0 && int(st.Gid) != os.Getegid()))
}

// ownedSafely reports whether root or this process's user owns the file.
func ownedSafely(fi os.FileInfo) bool {
	uid := owner(fi)
	return uid == 0 || uid == os.Geteuid()
}

// owner is the file's owner's uid; -1 when unknown.
func owner(fi os.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
