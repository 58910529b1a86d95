package report

import (
	"slices"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/repeats"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

func TestAttributions(t *testing.T) {
	all := scenario.FixSet{"A": true, "B": true, "C": true}
	noA := scenario.FixSet{"A": false, "B": true, "C": true}
	clean := &repeats.Agg{Verdict: verdict.Clean}
	syn := &repeats.Agg{Verdict: verdict.Affected, Symptoms: []verdict.Symptom{verdict.SYNDrop}}
	m := &Matrix{
		Columns: []string{"ipvs-reuse0", "ipvs-reuse1", "iptables"},
		Rows: []*Row{
			{Tier: "dataplane", Kernel: "5.10", Release: "5.10.223", Fixes: all,
				Cells: map[string]*repeats.Agg{"ipvs-reuse0": clean, "ipvs-reuse1": clean, "iptables": clean}},
			{Tier: "dataplane", Kernel: "5.10-revert-A", Release: "5.10.223", Fixes: noA,
				Cells: map[string]*repeats.Agg{"ipvs-reuse0": syn, "ipvs-reuse1": syn}}, // iptables not measured
			{Tier: "dataplane", Kernel: "6.1", Release: "6.1.176", Fixes: all,
				Cells: map[string]*repeats.Agg{"ipvs-reuse1": clean}},
			{Tier: "kube-proxy", Kernel: "5.10", Release: "5.10.223", Fixes: all,
				Cells: map[string]*repeats.Agg{"ipvs-reuse1": clean}},
		},
	}
	got := Attributions(m)
	if len(got) != 1 {
		t.Fatalf("got %d attributions, want 1 (same tier and release only): %+v", len(got), got)
	}
	a := got[0]
	want := []string{"ipvs-reuse0: clean -> affected (syn-drop-1s)", "ipvs-reuse1: clean -> affected (syn-drop-1s)"}
	if a.Base != "5.10" || a.Control != "5.10-revert-A" || !slices.Equal(a.Reverted, []scenario.Fix{scenario.FixA}) || !slices.Equal(a.Changes, want) {
		t.Errorf("attribution %+v", a)
	}
	md := string(RenderMarkdown(m))
	if !strings.Contains(md, "## Which fix removed it") || !strings.Contains(md, "| dataplane | 5.10-revert-A | A | 5.10 |") {
		t.Errorf("matrix.md lacks the attribution table:\n%s", md)
	}
}
