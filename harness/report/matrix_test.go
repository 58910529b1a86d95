package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/enum"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/resultfile/resultfiletest"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

func TestMatrixRender(t *testing.T) {
	root := resultfiletest.Tree(t)
	runs, skipped, err := resultfile.Collect(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || len(skipped) != 1 || skipped[0].Dir != filepath.Join("6.1", "killed") {
		t.Fatalf("runs %d, skipped %+v", len(runs), skipped)
	}
	m := Build(runs, skipped)
	if got := []string{m.Rows[0].Kernel, m.Rows[1].Kernel}; got[0] != "5.10" || got[1] != "6.1" {
		t.Fatalf("row order %v, want 5.10 before 6.1", got)
	}
	if want := []string{"ipvs-reuse0", "iptables", "ipvs-reuse0-nodest0"}; strings.Join(m.Columns, ",") != strings.Join(want, ",") {
		t.Fatalf("columns %v, want %v", m.Columns, want)
	}
	old, cur := m.Rows[0], m.Rows[1]
	if old.Headline != "81775: affected (ipvs-reuse0)" {
		t.Errorf("5.10 headline %q", old.Headline)
	}
	if cur.Headline != "fixed (fixes A,B,C present)" {
		t.Errorf("6.1 headline %q", cur.Headline)
	}
	a := old.Cells["ipvs-reuse0"]
	if a.Verdict != verdict.Affected || a.Requests != 600 || a.ToTerminating == 0 || a.Control {
		t.Errorf("5.10 ipvs-reuse0 %+v", a)
	}
	if !old.Cells["ipvs-reuse0-nodest0"].Control {
		t.Error("nodest=0 cell not recognised as a control")
	}
	if c := cur.Cells["iptables"]; c.Verdict != verdict.Clean || c.ToTerminating != 0 || c.ToTermRate.Hi <= 0 || c.P99Method != "records" {
		t.Errorf("6.1 iptables %+v", c)
	}

	if err := Render(root, m); err != nil {
		t.Fatal(err)
	}
	md := read(t, root, MatrixMD)
	for _, want := range []string{
		"| **5.10** (5.10.223) | 81775: affected (ipvs-reuse0) | 2026-11-25 · tcg · 2 cores · load <= 1.2 |",
		"`6.1/killed`: no result.json",
		"![share of affected requests, tier dataplane](charts/heatmap_dataplane.svg)",
		"- accelerator: tcg, guest CPU max\n", // results without qemu.cpu_model ran on max
	} {
		if !strings.Contains(md, want) {
			t.Errorf("matrix.md lacks %q", want)
		}
	}
	if strings.Index(md, "**5.10**") > strings.Index(md, "**6.1**") {
		t.Error("5.10 not above 6.1")
	}
	html := read(t, root, MatrixHTML)
	if n := strings.Count(html, "<svg"); n != 6 { // heat map + 5 latency charts
		t.Errorf("html inlines %d SVGs, want 6", n)
	}
	for _, name := range []string{HeatmapName("dataplane"), "dataplane_5.10_ipvs-reuse0.svg", "dataplane_6.1_iptables.svg"} {
		if b := read(t, filepath.Join(root, resultfile.ChartsDir), name); !strings.Contains(b, "<svg") {
			t.Errorf("%s is not SVG", name)
		}
	}

	// Determinism: a second render of the unchanged tree is byte-identical.
	before := snapshot(t, root)
	runs2, skipped2, _ := resultfile.Collect(root)
	if err := Render(root, Build(runs2, skipped2)); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, root)
	for name, b := range before {
		if !bytes.Equal(b, after[name]) {
			t.Errorf("%s changed between two renders of the same inputs", name)
		}
	}
}

func TestFlakyRepeats(t *testing.T) {
	root := t.TempDir()
	resultfiletest.WriteRun(t, root, "6.1", "6.1.176", "r1", resultfiletest.Day(), resultfiletest.Fixture{Spec: "ipvs:1", StaleShare: 0.3, Seed: 1})
	resultfiletest.WriteRun(t, root, "6.1", "6.1.176", "r2", resultfiletest.Day().Add(time.Minute), resultfiletest.Fixture{Spec: "ipvs:1", Seed: 2})
	runs, _, err := resultfile.Collect(root)
	if err != nil {
		t.Fatal(err)
	}
	m := Build(runs, nil)
	a := m.Rows[0].Cells["ipvs-reuse1"]
	if a.Verdict != verdict.Flaky || a.Repeats != 2 || enum.Join(a.Verdicts, ",") != "affected,clean" {
		t.Fatalf("agg %+v", a)
	}
	if m.Rows[0].Headline != "flaky (ipvs-reuse1)" {
		t.Errorf("headline %q", m.Rows[0].Headline)
	}
}

func TestChangedSettingsAreNotPooled(t *testing.T) {
	root := t.TempDir()
	resultfiletest.WriteRun(t, root, "6.1", "6.1.176", "r1", resultfiletest.Day(), resultfiletest.Fixture{Spec: "ipvs:0", StaleShare: 0.3, Seed: 1})
	resultfiletest.WriteRun(t, root, "6.1", "6.1.176", "r2", resultfiletest.Day().Add(time.Hour), resultfiletest.Fixture{Spec: "ipvs:0/rate=120", Seed: 2})
	runs, _, _ := resultfile.Collect(root)
	m := Build(runs, nil)
	a := m.Rows[0].Cells["ipvs-reuse0"]
	if a.Repeats != 1 || a.Verdict != verdict.Clean || m.Superseded != 1 {
		t.Fatalf("want only the newest configuration, got %+v (superseded %d)", a, m.Superseded)
	}
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func snapshot(t *testing.T, root string) map[string][]byte {
	out := map[string][]byte{}
	for _, p := range append([]string{MatrixMD, MatrixHTML}, globNames(t, filepath.Join(root, resultfile.ChartsDir))...) {
		out[p] = []byte(read(t, root, p))
	}
	return out
}

func globNames(t *testing.T, dir string) []string {
	ps, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	var out []string
	for _, p := range ps {
		out = append(out, filepath.Join(resultfile.ChartsDir, filepath.Base(p)))
	}
	return out
}

func TestRenderFidelityListsEveryUnexplainedDifference(t *testing.T) {
	var b strings.Builder
	renderFidelity(&b, &scenario.Fidelity{KubeProxy: "v1.21.8", Model: "v1.34.2", Compared: map[string]int{"rules": 40, "ipvs": 4},
		Ignored: 3, Explained: []string{"x: why"}, Differences: []string{"rules: only kube-proxy: -A `X`"}})
	got := b.String()
	for _, want := range []string{"kube-proxy v1.21.8 against the dataplane tier's model, v1.34.2", "44 lines compared", "1 differences explained", "**1 unexplained**", "`rules: only kube-proxy: -A 'X'`"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	b.Reset()
	renderFidelity(&b, nil)
	if b.Len() != 0 {
		t.Errorf("dataplane cell rendered fidelity: %q", b.String())
	}
}
