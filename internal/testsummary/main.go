// Command testsummary reads `go test -json` on stdin, prints failures with
// their output and a per-package and total count of tests, and exits 1 if
// anything failed (a test, a package build, or a package with no result).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

type pkgStats struct {
	pass, fail, skip int
	result           string // pass, fail, skip (no test files)
	elapsed          float64
	output           []string // package-level output, shown on failure
}

func main() {
	os.Exit(run(os.Stdin, os.Stdout))
}

func run(in io.Reader, out io.Writer) int {
	pkgs := map[string]*pkgStats{}
	testOut := map[string][]string{}
	var failed []string
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Package == "" {
			fmt.Fprintln(out, string(line)) // build errors come as plain text
			continue
		}
		ps := pkgs[ev.Package]
		if ps == nil {
			ps = &pkgStats{}
			pkgs[ev.Package] = ps
		}
		key := ev.Package + " " + ev.Test
		switch ev.Action {
		case "output":
			if ev.Test != "" {
				testOut[key] = append(testOut[key], ev.Output)
			} else {
				ps.output = append(ps.output, ev.Output)
			}
		case "pass", "fail", "skip":
			if ev.Test == "" {
				ps.result, ps.elapsed = ev.Action, ev.Elapsed
				continue
			}
			switch ev.Action {
			case "pass":
				ps.pass++
			case "skip":
				ps.skip++
				fmt.Fprintf(out, "--- SKIP %s\n%s", key, strings.Join(testOut[key], ""))
			case "fail":
				ps.fail++
				failed = append(failed, key)
				fmt.Fprintf(out, "--- FAIL %s\n%s\n", key, strings.Join(testOut[key], ""))
			}
			delete(testOut, key)
		}
	}
	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		names = append(names, n)
	}
	sort.Strings(names)
	var tp, tf, ts int
	bad := len(failed) > 0
	fmt.Fprintln(out, "\n=== test summary")
	for _, n := range names {
		ps := pkgs[n]
		tp, tf, ts = tp+ps.pass, tf+ps.fail, ts+ps.skip
		res := ps.result
		if res == "" {
			res = "NO RESULT"
			bad = true
		}
		if res == "fail" && ps.fail == 0 {
			bad = true
			fmt.Fprintf(out, "--- FAIL package %s\n%s\n", n, strings.Join(ps.output, ""))
		}
		fmt.Fprintf(out, "%-4s %-60s %4d passed %3d failed %3d skipped %7.1fs\n", strings.ToUpper(res), n, ps.pass, ps.fail, ps.skip, ps.elapsed)
	}
	fmt.Fprintf(out, "TOTAL: %d tests passed, %d failed, %d skipped in %d packages\n", tp, tf, ts, len(names))
	if bad {
		fmt.Fprintln(out, "RESULT: FAIL")
		return 1
	}
	fmt.Fprintln(out, "RESULT: PASS")
	return 0
}
