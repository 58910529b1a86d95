package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

var day = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func buildTree(t *testing.T) string {
	root := t.TempDir()
	// Written newest kernel first: the matrix must still order by version.
	writeRun(t, root, "6.1", "6.1.176", "r1", day, fixture{spec: "ipvs:0", seed: 1}, fixture{spec: "iptables", seed: 2})
	writeRun(t, root, "5.10", "5.10.223", "r1", day, fixture{spec: "ipvs:0", staleShare: 0.4, seed: 3}, fixture{spec: "iptables", seed: 4},
		fixture{spec: "ipvs:0/nodest=0", staleShare: 0.4, seed: 5})
	// A killed boot: a run dir without result.json.
	if err := os.MkdirAll(filepath.Join(root, "6.1", "killed", "boot"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestMatrixRender(t *testing.T) {
	root := buildTree(t)
	runs, skipped, err := Collect(root)
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
	if a.Verdict != Affected || a.Requests != 600 || a.ToTerminating == 0 || a.Control {
		t.Errorf("5.10 ipvs-reuse0 %+v", a)
	}
	if !old.Cells["ipvs-reuse0-nodest0"].Control {
		t.Error("nodest=0 cell not recognised as a control")
	}
	if c := cur.Cells["iptables"]; c.Verdict != Clean || c.ToTerminating != 0 || c.ToTermRate.Hi <= 0 || c.P99Method != "records" {
		t.Errorf("6.1 iptables %+v", c)
	}

	if err := Render(root, m); err != nil {
		t.Fatal(err)
	}
	md := read(t, root, MatrixMD)
	for _, want := range []string{
		"| **5.10** (5.10.223) | 81775: affected (ipvs-reuse0) | tcg |",
		"`6.1/killed`: no result.json",
		"![share of affected requests](charts/heatmap.svg)",
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
	for _, name := range []string{HeatmapName, "dataplane_5.10_ipvs-reuse0.svg", "dataplane_6.1_iptables.svg"} {
		if b := read(t, filepath.Join(root, ChartsDir), name); !strings.Contains(b, "<svg") {
			t.Errorf("%s is not SVG", name)
		}
	}

	// Determinism: a second render of the unchanged tree is byte-identical.
	before := snapshot(t, root)
	runs2, skipped2, _ := Collect(root)
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
	writeRun(t, root, "6.1", "6.1.176", "r1", day, fixture{spec: "ipvs:1", staleShare: 0.3, seed: 1})
	writeRun(t, root, "6.1", "6.1.176", "r2", day.Add(time.Minute), fixture{spec: "ipvs:1", seed: 2})
	runs, _, err := Collect(root)
	if err != nil {
		t.Fatal(err)
	}
	m := Build(runs, nil)
	a := m.Rows[0].Cells["ipvs-reuse1"]
	if a.Verdict != Flaky || a.Repeats != 2 || strings.Join(a.Verdicts, ",") != "affected,clean" {
		t.Fatalf("agg %+v", a)
	}
	if m.Rows[0].Headline != "flaky (ipvs-reuse1)" {
		t.Errorf("headline %q", m.Rows[0].Headline)
	}
}

func TestChangedSettingsAreNotPooled(t *testing.T) {
	root := t.TempDir()
	writeRun(t, root, "6.1", "6.1.176", "r1", day, fixture{spec: "ipvs:0", staleShare: 0.3, seed: 1})
	writeRun(t, root, "6.1", "6.1.176", "r2", day.Add(time.Hour), fixture{spec: "ipvs:0/rate=120", seed: 2})
	runs, _, _ := Collect(root)
	m := Build(runs, nil)
	a := m.Rows[0].Cells["ipvs-reuse0"]
	if a.Repeats != 1 || a.Verdict != Clean || m.Superseded != 1 {
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
	for _, p := range append([]string{MatrixMD, MatrixHTML}, globNames(t, filepath.Join(root, ChartsDir))...) {
		out[p] = []byte(read(t, root, p))
	}
	return out
}

func globNames(t *testing.T, dir string) []string {
	ps, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	var out []string
	for _, p := range ps {
		out = append(out, filepath.Join(ChartsDir, filepath.Base(p)))
	}
	return out
}

func TestCollectJudgesFromRecords(t *testing.T) {
	root := t.TempDir()
	writeRun(t, root, "6.1", "6.1.176", "r1", day, fixture{spec: "ipvs:0", staleShare: 0.3, seed: 1})
	// A result written by an older harness that judged differently.
	p := filepath.Join(root, "6.1", "r1", "result.json")
	f, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Cells[0].Verdict = Verdict{Status: Clean}
	f.Cells[0].Result.Counts = scenario.Counts{}
	b, _ := json.Marshal(f)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	runs, _, err := Collect(root)
	if err != nil {
		t.Fatal(err)
	}
	c := runs[0].File.Cells[0]
	if c.Verdict.Status != Affected || c.Result.Counts.ToTerminating == 0 || c.Result.Counts.Requests != 600 {
		t.Errorf("not re-judged from the records: %+v %+v", c.Verdict, c.Result.Counts)
	}
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
