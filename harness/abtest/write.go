package abtest

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
)

// WriteCompare prints the per-cell table.
func WriteCompare(w io.Writer, labelA, labelB string, ccs []CellCompare) {
	fmt.Fprintf(w, "A = %s\nB = %s\n", labelA, labelB)
	fmt.Fprintf(w, "CHANGE = (B-A)/A, the real relative change; JUDGED = the shift the rule reads: (B-A) against max(A, %.1f %%) for a rate, max(A, %.0f ms) for p99\n",
		100*RateFloor, P99FloorMs)
	fmt.Fprintf(w, "significant = p < %.2f and |JUDGED| >= %.0f %%\n\n", Alpha, 100*MinShift)
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
			fmt.Fprintf(w, "  %-22s %12s %12s %9s %9s %9s  %-22s %s\n", "METRIC", "A", "B", "CHANGE", "JUDGED", "P", "METHOD", "SIGNIFICANT")
		}
		for _, d := range cc.Diffs {
			sig := "no"
			if d.Significant {
				sig = "YES"
			}
			fmt.Fprintf(w, "  %-22s %12s %12s %9s %9s %9s  %-22s %s\n", d.Metric, metricValue(d.Metric, d.A), metricValue(d.Metric, d.B),
				percent(d.Change), percent(d.Shift), fmtP(d.P), d.Method, sig)
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

// percent prints a relative change; "new" for a rise from zero.
func percent(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case math.IsInf(x, 1):
		return "new"
	case math.IsInf(x, -1):
		return "-inf"
	}
	return fmt.Sprintf("%+.0f%%", 100*x)
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

func orDash(s verdict.Status) string {
	if s == "" {
		return "–"
	}
	return s.String()
}

// AnyChanged reports whether a comparison found a change.
func AnyChanged(ccs []CellCompare) bool {
	return slices.ContainsFunc(ccs, func(c CellCompare) bool { return c.Changed })
}
