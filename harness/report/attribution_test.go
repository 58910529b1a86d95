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

// A control built here is held against the baseline built the same way,
// not the distribution's binary of the same release; without one, the
// binary is used and the row says it is not like for like.
func TestAttributionsLikeForLike(t *testing.T) {
	all := scenario.FixSet{"A": true, "B": true, "C": true}
	noC := scenario.FixSet{"A": true, "B": true, "C": false}
	clean := &repeats.Agg{Verdict: verdict.Clean}
	stale := &repeats.Agg{Verdict: verdict.Affected, Symptoms: []verdict.Symptom{verdict.StaleBackend}}
	debian := &Row{Tier: "dataplane", Kernel: "5.10", Release: "5.10.223", Source: "debian", Fixes: all,
		Cells: map[string]*repeats.Agg{"ipvs-reuse0": clean}}
	built := &Row{Tier: "dataplane", Kernel: "5.10-built", Release: "5.10.223", Source: "build", Fixes: all,
		Cells: map[string]*repeats.Agg{"ipvs-reuse0": clean}}
	ctl := &Row{Tier: "dataplane", Kernel: "5.10-revert-C", Release: "5.10.223", Source: "build", Fixes: noC,
		Cells: map[string]*repeats.Agg{"ipvs-reuse0": stale}}
	m := &Matrix{Columns: []string{"ipvs-reuse0"}, Rows: []*Row{debian, built, ctl}}
	got := Attributions(m)
	if len(got) != 1 || got[0].Base != "5.10-built" || got[0].Unlike != "" {
		t.Fatalf("with a built baseline: %+v, want one attribution against 5.10-built, like for like", got)
	}
	m.Rows = []*Row{debian, ctl}
	got = Attributions(m)
	if len(got) != 1 || got[0].Base != "5.10" || got[0].Unlike != "5.10 is a debian binary, 5.10-revert-C is built here" {
		t.Fatalf("without one: %+v, want 5.10 marked not like for like", got)
	}
	if md := string(RenderMarkdown(m)); !strings.Contains(md, "| 5.10 (not like for like: 5.10 is a debian binary, 5.10-revert-C is built here) |") {
		t.Errorf("matrix.md does not mark the unlike baseline:\n%s", md)
	}
}
