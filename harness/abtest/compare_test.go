package abtest

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/resultfile/resultfiletest"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
)

func TestCompareKernels(t *testing.T) {
	root := resultfiletest.Tree(t)
	a, _, err := resultfile.LoadPath(filepath.Join(root, "6.1"))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := resultfile.LoadPath(filepath.Join(root, "5.10", "r1", "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	ccs := Compare(a, b)
	got := map[string]CellCompare{}
	for _, c := range ccs {
		got[c.Cell] = c
	}
	reuse0 := got["ipvs-reuse0"]
	if !reuse0.Changed || reuse0.Verdicts != [2]verdict.Status{verdict.Clean, verdict.Affected} || !reuse0.Comparable {
		t.Fatalf("ipvs-reuse0 %+v", reuse0)
	}
	if d := reuse0.Diffs[0]; d.Metric != "to_terminating" || !d.Significant || d.A != 0 || d.P >= Alpha {
		t.Errorf("to_terminating diff %+v", d)
	}
	ipt := got["iptables"]
	if ipt.Changed {
		t.Errorf("iptables (two clean samples of one distribution) changed: %+v", ipt.Diffs)
	}
	for _, d := range ipt.Diffs {
		if d.Significant {
			t.Errorf("iptables %s significant: %+v", d.Metric, d)
		}
	}
	if c := got["ipvs-reuse0-nodest0"]; c.A != nil || !c.Changed {
		t.Errorf("one-sided cell %+v", c)
	}
	var out bytes.Buffer
	WriteCompare(&out, "6.1", "5.10", ccs)
	if !strings.Contains(out.String(), "ipvs-reuse0: clean -> affected  [CHANGED]") {
		t.Errorf("report:\n%s", out.String())
	}
}

// twoKernels writes one cell on 6.1 (a) and on 6.12 (b) and loads both.
func twoKernels(t *testing.T, a, b resultfiletest.Fixture) ([]resultfile.Run, []resultfile.Run) {
	t.Helper()
	root := t.TempDir()
	resultfiletest.WriteRun(t, root, "6.1", "6.1.176", "r1", resultfiletest.Day(), a)
	resultfiletest.WriteRun(t, root, "6.12", "6.12.117", "r1", resultfiletest.Day(), b)
	ra, _, err := resultfile.LoadPath(filepath.Join(root, "6.1"))
	if err != nil {
		t.Fatal(err)
	}
	rb, _, err := resultfile.LoadPath(filepath.Join(root, "6.12"))
	if err != nil {
		t.Fatal(err)
	}
	return ra, rb
}

func TestCompareDifferentSettings(t *testing.T) {
	a, b := twoKernels(t, resultfiletest.Fixture{Spec: "ipvs:0", Seed: 1}, resultfiletest.Fixture{Spec: "ipvs:0/rate=120", Seed: 1})
	cc := Compare(a, b)[0]
	if cc.Comparable || len(cc.Diffs) != 0 {
		t.Fatalf("different settings compared: %+v", cc)
	}
}

// Runs of one cell under two TCG CPU models (before and after
// qemu.TCGCPUModel): the rates are compared, the latency is not.
func TestCompareDifferentCPUModels(t *testing.T) {
	a, b := twoKernels(t, resultfiletest.Fixture{Spec: "ipvs:0", Seed: 1}, resultfiletest.Fixture{Spec: "ipvs:0", Seed: 2})
	if cc := Compare(a, b)[0]; !hasDiff(cc, "p99_ms") {
		t.Fatalf("one CPU model (recorded on neither side): p99 not compared: %+v", cc)
	}
	b[0].File.QEMU.CPUModel = "max,-erms,-fsrm"
	cc := Compare(a, b)[0]
	if !cc.Comparable || hasDiff(cc, "p99_ms") || !hasDiff(cc, "to_terminating") {
		t.Fatalf("two CPU models: want rates compared and p99 not: %+v", cc)
	}
	if !strings.Contains(strings.Join(cc.Notes, "\n"), "guest CPU model differs (max vs max,-erms,-fsrm)") {
		t.Errorf("notes %q", cc.Notes)
	}
}

func hasDiff(cc CellCompare, metric string) bool {
	for _, d := range cc.Diffs {
		if d.Metric == metric {
			return true
		}
	}
	return false
}
