package abtest

import (
	"fmt"

	"github.com/rolloutlab/rolloutlab/harness/repeats"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
)

// CellCompare is one cell compared between two sets of runs.
type CellCompare struct {
	Cell     string
	A, B     *repeats.Agg // nil where that side has no such cell
	Verdicts [2]verdict.Status
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
func Compare(a, b []resultfile.Run) []CellCompare {
	sa, sb := latestByCell(a), latestByCell(b)
	names := map[string]bool{}
	for n := range sa {
		names[n] = true
	}
	for n := range sb {
		names[n] = true
	}
	var out []CellCompare
	for _, n := range repeats.CellOrder(names) {
		out = append(out, compareCell(n, sa[n], sb[n]))
	}
	return out
}

// latestByCell: one aggregate per cell name; with several kernels or tiers
// on one side (a directory of mixed runs) the newest wins.
func latestByCell(runs []resultfile.Run) map[string]*repeats.Agg {
	groups, _ := repeats.Latest(repeats.Groups(runs))
	newest := map[string]*repeats.Group{}
	for _, g := range groups {
		if cur := newest[g.Cell]; cur == nil || g.Latest.After(cur.Latest) {
			newest[g.Cell] = g
		}
	}
	out := map[string]*repeats.Agg{}
	for n, g := range newest {
		out[n] = repeats.Pool(g)
	}
	return out
}

func compareCell(name string, a, b *repeats.Agg) CellCompare {
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
	cc.Verdicts = [2]verdict.Status{a.Verdict, b.Verdict}
	cc.Changed = a.Verdict != b.Verdict
	cc.Comparable = a.Settings != "" && a.Settings == b.Settings
	if !cc.Comparable {
		cc.Notes = append(cc.Notes, "cell settings differ or unknown: numbers not compared")
		return cc
	}
	if a.Accel != b.Accel {
		cc.Notes = append(cc.Notes, fmt.Sprintf("accelerator differs (%s vs %s): latency not comparable", a.Accel, b.Accel))
	}
	// Under TCG the CPU model changes how fast the guest copies memory.
	modelsDiffer := a.CPUModel != "" && b.CPUModel != "" && a.CPUModel != b.CPUModel
	if modelsDiffer {
		cc.Notes = append(cc.Notes, fmt.Sprintf("guest CPU model differs (%s vs %s): latency not comparable", a.CPUModel, b.CPUModel))
	}
	if a.Requests > 0 && b.Requests > 0 {
		cc.Diffs = append(cc.Diffs,
			CompareRates("to_terminating", a.ToTerminating, a.Requests, b.ToTerminating, b.Requests),
			CompareRates("errors_after_removal", a.ErrorsAfterRemoval, a.Requests, b.ErrorsAfterRemoval, b.Requests),
			CompareRates("slow_connects", a.SlowConnects, a.Requests, b.SlowConnects, b.Requests),
			CompareRates("timeouts", a.Timeouts, a.Requests, b.Timeouts, b.Requests),
		)
		switch {
		case a.Accel != b.Accel, modelsDiffer:
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
