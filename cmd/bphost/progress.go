package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// progressLine rewrites one status line on a terminal; elsewhere it writes
// nothing, so scripts and logs see only results.
type progressLine struct {
	w     io.Writer
	shown bool
}

// progress returns the status line for long operations, on stderr.
func (a *app) progress() *progressLine {
	if !isTerminal(a.stderr) {
		return &progressLine{}
	}
	return &progressLine{w: a.stderr}
}

func (p *progressLine) show(s string) {
	if p.w == nil {
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s", s)
	p.shown = true
}

// done clears the line; it may be called more than once.
func (p *progressLine) done() {
	if p.w != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
