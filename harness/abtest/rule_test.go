package abtest

import (
	"math"
	"strings"
	"testing"
)

// The real change and the judged shift part where A is under the floor:
// iptables p99 8.5 -> 76.8 ms is +804 %, judged +7 % against 1 s.
func TestChangeBesideJudgedShift(t *testing.T) {
	d := decide(Diff{A: 8.5, B: 76.8, P: 1e-6}, P99FloorMs)
	if math.Abs(d.Change-8.035) > 0.001 || math.Abs(d.Shift-0.0683) > 0.0001 || d.Significant {
		t.Errorf("change %.4f shift %.4f significant %t, want 8.035, 0.0683, false", d.Change, d.Shift, d.Significant)
	}
	if z := decide(Diff{A: 0, B: 0.01, P: 1e-6}, RateFloor); !math.IsInf(z.Change, 1) || z.Shift != 2 || !z.Significant {
		t.Errorf("from zero: change %v shift %v significant %t, want +Inf, 2, true", z.Change, z.Shift, z.Significant)
	}
	if same := decide(Diff{A: 0, B: 0, P: 1}, RateFloor); same.Change != 0 {
		t.Errorf("0 -> 0 change %v, want 0", same.Change)
	}
	var b strings.Builder
	WriteCompare(&b, "a", "b", []CellCompare{{Cell: "iptables", Diffs: []Diff{d}}})
	if !strings.Contains(b.String(), "+804%") || !strings.Contains(b.String(), "+7%") {
		t.Errorf("table lacks +804%% beside +7%%:\n%s", b.String())
	}
}
