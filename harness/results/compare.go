package results

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// CellCompare is one cell compared between two sets of runs.
type CellCompare struct {
	Cell     string
	A, B     *Agg // nil where that side has no such cell
	Verdicts [2]string
	// Comparable is false when the cell's settings differ: a difference
	// would then say nothing about the kernel (compare like with like).
	Comparable bool
	Notes      []string
	Diffs      []Diff
	// Changed: the verdict changed or a metric moved significantly.
	Changed bool
}

// Compare aggregates each side's latest configuration per cell and tests
// every metric. Cells are matched by name.
func Compare(a, b []Run) []CellCompare {
	sa, sb := latestByCell(a), latestByCell(b)
	names := map[string]bool{}
	for n := range sa {
		names[n] = true
	}
	for n := range sb {
		names[n] = true
	}
	var out []CellCompare
	for _, n := range orderColumns(names) {
		out = append(out, compareCell(n, sa[n], sb[n]))
	}
	return out
}

// latestByCell: one aggregate per cell name; with several kernels or tiers
// on one side (a directory of mixed runs) the newest wins.
func latestByCell(runs []Run) map[string]*Agg {
	groups, _ := LatestGroups(GroupRuns(runs))
	newest := map[string]*Group{}
	for _, g := range groups {
		if cur := newest[g.Cell]; cur == nil || g.Latest.After(cur.Latest) {
			newest[g.Cell] = g
		}
	}
	out := map[string]*Agg{}
	for n, g := range newest {
		out[n] = Aggregate(g)
	}
	return out
}

func compareCell(name string, a, b *Agg) CellCompare {
	cc := CellCompare{Cell: name, A: a, B: b}
	if a == nil || b == nil {
		cc.Notes = append(cc.Notes, "only on one side")
		if a != nil {
			cc.Verdicts[0] = a.Verdict
		}
		if b != nil {
			cc.Verdicts[1] = b.Verdict
		}
		cc.Changed = true
		return cc
	}
	cc.Verdicts = [2]string{a.Verdict, b.Verdict}
	cc.Changed = a.Verdict != b.Verdict
	cc.Comparable = a.Settings != "" && a.Settings == b.Settings
	if !cc.Comparable {
		cc.Notes = append(cc.Notes, "cell settings differ or unknown: numbers not compared")
		return cc
	}
	if a.Accel != b.Accel {
		cc.Notes = append(cc.Notes, fmt.Sprintf("accelerator differs (%s vs %s): latency not comparable", a.Accel, b.Accel))
	}
	if a.Requests > 0 && b.Requests > 0 {
		cc.Diffs = append(cc.Diffs,
			CompareRates("to_terminating", a.ToTerminating, a.Requests, b.ToTerminating, b.Requests),
			CompareRates("errors_after_removal", a.ErrorsAfterRemoval, a.Requests, b.ErrorsAfterRemoval, b.Requests),
			CompareRates("slow_connects", a.SlowConnects, a.Requests, b.SlowConnects, b.Requests),
			CompareRates("timeouts", a.Timeouts, a.Requests, b.Timeouts, b.Requests),
		)
		switch {
		case a.Accel != b.Accel:
		case len(a.Totals) > 0 && len(b.Totals) > 0:
			cc.Diffs = append(cc.Diffs, CompareQuantile("p99_ms", "records", a.Totals, b.Totals, 0.99, P99FloorMs))
		case len(a.RepP99s) > 0 && len(b.RepP99s) > 0:
			cc.Diffs = append(cc.Diffs, CompareMeans("p99_ms", a.RepP99s, b.RepP99s, P99FloorMs))
		}
	}
	for _, d := range cc.Diffs {
		cc.Changed = cc.Changed || d.Significant
	}
	return cc
}

// WriteCompare prints the per-cell table.
func WriteCompare(w io.Writer, labelA, labelB string, ccs []CellCompare) {
	fmt.Fprintf(w, "A = %s\nB = %s\n", labelA, labelB)
	fmt.Fprintf(w, "significant = p < %.2f and |shift| >= %.0f %% (shift of a rate against max(A, %.1f %%), of p99 against max(A, %.0f ms))\n\n",
		Alpha, 100*MinShift, 100*RateFloor, P99FloorMs)
	for _, cc := range ccs {
		mark := ""
		if cc.Changed {
			mark = "  [CHANGED]"
		}
		fmt.Fprintf(w, "%s: %s -> %s%s\n", cc.Cell, orDash(cc.Verdicts[0]), orDash(cc.Verdicts[1]), mark)
		if cc.A != nil && cc.B != nil {
			fmt.Fprintf(w, "  repeats %d -> %d, requests %d -> %d\n", cc.A.Repeats, cc.B.Repeats, cc.A.Requests, cc.B.Requests)
		}
		for _, n := range cc.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		if len(cc.Diffs) > 0 {
			fmt.Fprintf(w, "  %-22s %12s %12s %9s %9s  %-22s %s\n", "METRIC", "A", "B", "SHIFT", "P", "METHOD", "SIGNIFICANT")
		}
		for _, d := range cc.Diffs {
			sig := "no"
			if d.Significant {
				sig = "YES"
			}
			fmt.Fprintf(w, "  %-22s %12s %12s %9s %9s  %-22s %s\n", d.Metric, metricValue(d.Metric, d.A), metricValue(d.Metric, d.B),
				fmt.Sprintf("%+.0f%%", 100*d.Shift), fmtP(d.P), d.Method, sig)
		}
	}
}

func metricValue(metric string, v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if strings.HasSuffix(metric, "_ms") {
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.3f %%", 100*v)
}

func fmtP(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	if p < 1e-4 {
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.4f", p)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// AnyChanged reports whether a comparison found a change.
func AnyChanged(ccs []CellCompare) bool {
	return slices.ContainsFunc(ccs, func(c CellCompare) bool { return c.Changed })
}
