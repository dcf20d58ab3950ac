package main

import (
	"fmt"
	"io"
	"time"
)

// Row is one measured path.
type Row struct {
	Key    string
	What   string
	Result Result
	Err    string `json:",omitempty"`
}

// Table is one run's results.
type Table struct {
	Sizes       Sizes
	Rows        []Row
	DevicesWall time.Duration // median start-to-exit of `bphost devices`
	DevicesErr  string        `json:",omitempty"`
	Err         string        `json:",omitempty"`
}

func (t *Table) row(key string) (Result, bool) {
	for _, r := range t.Rows {
		if r.Key == key && r.Err == "" {
			return r.Result, true
		}
	}
	return Result{}, false
}

func (t *Table) failed() bool {
	if t.Err != "" || t.DevicesErr != "" {
		return true
	}
	for _, r := range t.Rows {
		if r.Err != "" {
			return true
		}
	}
	return false
}

// Goal is one of issue 13's performance goals, judged on one run.
type Goal struct {
	What     string
	Measured string
	Met      bool
	Known    bool // false when a row it needs is missing
}

func ratio(a, b float64) float64 { return a / b }

// goals judges the goals on t.
func (t *Table) goals() []Goal {
	var gs []Goal
	add := func(what string, keys []string, judge func(r []Result) (string, bool)) {
		rs := make([]Result, len(keys))
		for i, k := range keys {
			r, ok := t.row(k)
			if !ok {
				gs = append(gs, Goal{What: what, Measured: "not measured"})
				return
			}
			rs[i] = r
		}
		m, met := judge(rs)
		gs = append(gs, Goal{What: what, Measured: m, Met: met, Known: true})
	}
	add("websocket plugin p50 ≤ npm p50", []string{keyWSPlugin, keyNPM}, func(r []Result) (string, bool) {
		x := ratio(float64(r[0].P50), float64(r[1].P50))
		return fmt.Sprintf("%.2f×", x), x <= 1
	})
	add("websocket plugin throughput ≥ 1.5× npm", []string{keyWSPlugin, keyNPM}, func(r []Result) (string, bool) {
		x := ratio(r[0].Throughput, r[1].Throughput)
		return fmt.Sprintf("%.2f×", x), x >= 1.5
	})
	add("websocket connector in process throughput ≥ 2× npm", []string{keyWSHost, keyNPM}, func(r []Result) (string, bool) {
		x := ratio(r[0].Throughput, r[1].Throughput)
		return fmt.Sprintf("%.2f×", x), x >= 2
	})
	add("plugin hop p50 ≤ 1.1× bare grpc-go floor", []string{keyHop, keyGRPCFloor}, func(r []Result) (string, bool) {
		x := ratio(float64(r[0].P50), float64(r[1].P50))
		return fmt.Sprintf("%.2f×", x), x <= 1.1
	})
	add("in process ≥ 100k pipelined cmds/s", []string{keyInProc}, func(r []Result) (string, bool) {
		return fmt.Sprintf("%.0f cmds/s", r[0].Throughput), r[0].Throughput >= 100e3
	})
	if t.DevicesWall > 0 {
		gs = append(gs, Goal{What: "bphost devices --simulate \"Lovense Hush\" ≤ 250 ms",
			Measured: ms(t.DevicesWall), Met: t.DevicesWall <= 250*time.Millisecond, Known: true})
	}
	return gs
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// print writes the table, the ratios to the npm client and the goals as
// Markdown.
func (t *Table) print(w io.Writer) {
	fmt.Fprintf(w, "| path | p50 | p99 | pipelined cmds/s (%d in flight) | CPU µs/cmd, all processes | p50 / npm | cmds/s / npm |\n", t.Sizes.InFlight)
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	npm, haveNPM := t.row(keyNPM)
	for _, r := range t.Rows {
		if r.Err != "" {
			fmt.Fprintf(w, "| %s | failed: %s | | | | | |\n", r.What, r.Err)
			continue
		}
		rel, relT := "", ""
		if haveNPM {
			rel = fmt.Sprintf("%.2f×", ratio(float64(r.Result.P50), float64(npm.P50)))
			relT = fmt.Sprintf("%.2f×", ratio(r.Result.Throughput, npm.Throughput))
		}
		cpu := "–"
		if r.Result.CPU > 0 {
			cpu = fmt.Sprintf("%.1f", float64(r.Result.CPU)/float64(time.Microsecond))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %.0f | %s | %s | %s |\n", r.What, us(r.Result.P50), us(r.Result.P99), r.Result.Throughput, cpu, rel, relT)
	}
	switch {
	case t.DevicesErr != "":
		fmt.Fprintf(w, "\n`bphost devices --simulate \"Lovense Hush\"`: failed: %s\n", t.DevicesErr)
	case t.DevicesWall > 0:
		fmt.Fprintf(w, "\n`bphost devices --simulate \"Lovense Hush\"`, start to exit (median): %s\n", ms(t.DevicesWall))
	}
	fmt.Fprintln(w, "\n| goal | measured | met |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, g := range t.goals() {
		met := "no"
		switch {
		case !g.Known:
			met = "–"
		case g.Met:
			met = "yes"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", g.What, g.Measured, met)
	}
	if t.Err != "" {
		fmt.Fprintf(w, "\nrun stopped: %s\n", t.Err)
	}
}
