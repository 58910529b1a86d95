package results

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Output names under the results root.
const (
	MatrixMD   = "matrix.md"
	MatrixHTML = "matrix.html"
	ChartsDir  = "charts"
)

// columnOrder is the default preset's cells in the order; other
// cells (controls, kube-proxy presets) follow sorted by name.
var columnOrder = []string{"ipvs-reuse0", "ipvs-reuse1", "ipvs-reuse2", "iptables", "nftables"}

// Matrix is kernels x cells, each entry the aggregate of its latest
// configuration's repeats.
type Matrix struct {
	Rows       []*Row
	Columns    []string
	Skipped    []Skipped
	Superseded int // older configurations of a key, not shown
}

// Row is one kernel in one tier.
type Row struct {
	Tier        string
	Kernel      string
	Release     string
	UnameR      string
	Fixes       scenario.FixSet
	FixesSource string
	Accel       string
	Cells       map[string]*Agg
	Headline    string
}

// Build makes the matrix from collected runs. It reads records files but
// writes nothing.
func Build(runs []Run, skipped []Skipped) *Matrix {
	groups, superseded := LatestGroups(GroupRuns(runs))
	m := &Matrix{Skipped: skipped, Superseded: superseded}
	rows := map[[2]string]*Row{}
	cols := map[string]bool{}
	for _, g := range groups {
		rk := [2]string{g.Tier, g.Kernel}
		row := rows[rk]
		if row == nil {
			row = &Row{Tier: g.Tier, Kernel: g.Kernel, Cells: map[string]*Agg{}}
			rows[rk] = row
			m.Rows = append(m.Rows, row)
		}
		// Provenance from the newest run of the row.
		newest := g.Samples[len(g.Samples)-1].Run.File
		if row.Release == "" || newest.Kernel.Release != "" {
			row.Release, row.UnameR = newest.Kernel.Release, newest.Kernel.UnameR
			row.Fixes, row.FixesSource = newest.Kernel.Fixes, newest.Kernel.FixesSource
		}
		row.Cells[g.Cell] = Aggregate(g)
		cols[g.Cell] = true
	}
	for _, row := range m.Rows {
		accels := map[string]bool{}
		for _, a := range row.Cells {
			for _, x := range strings.Split(a.Accel, "+") {
				accels[x] = true
			}
		}
		row.Accel = strings.Join(sortedKeys(accels), "+")
		row.Headline = Headline(row)
	}
	sort.SliceStable(m.Rows, func(i, j int) bool {
		a, b := m.Rows[i], m.Rows[j]
		if a.Tier != b.Tier {
			return a.Tier < b.Tier
		}
		if c := compareVersions(a.Release, b.Release); c != 0 {
			return c < 0
		}
		return a.Kernel < b.Kernel
	})
	m.Columns = orderColumns(cols)
	sort.Slice(m.Skipped, func(i, j int) bool { return m.Skipped[i].Dir < m.Skipped[j].Dir })
	return m
}

func orderColumns(cols map[string]bool) []string {
	var out, rest []string
	for _, c := range columnOrder {
		if cols[c] {
			out = append(out, c)
		}
	}
	for c := range cols {
		if !slices.Contains(columnOrder, c) {
			rest = append(rest, c)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// compareVersions orders "5.10.223" before "6.1.176" numerically; a
// missing release sorts last.
func compareVersions(a, b string) int {
	if a == "" || b == "" {
		return strings.Compare(b, a)
	}
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			return x - y
		}
	}
	return strings.Compare(a, b)
}

func versionParts(v string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '-' || r == '+' || r == '~' }) {
		n, err := strconv.Atoi(f)
		if err != nil {
			break
		}
		out = append(out, n)
	}
	return out
}

// Headline is the per-kernel summary: which bug the measured cells show,
// or that the kernel is fixed with the fixes its provenance names.
// Controls are judged separately: a clean control means the harness did
// not reproduce the bug where it must, and says so.
func Headline(row *Row) string {
	var stale, syn, flaky, errs, measured []string
	var cleanControls []string
	names := sortedAggNames(row.Cells)
	for _, n := range names {
		a := row.Cells[n]
		if a.Control {
			if a.Verdict == Clean {
				cleanControls = append(cleanControls, n)
			}
			continue
		}
		switch a.Verdict {
		case Affected:
			measured = append(measured, n)
			if slices.Contains(a.Symptoms, SymStaleBackend) {
				stale = append(stale, n)
			}
			if slices.Contains(a.Symptoms, SymSYNDrop) {
				syn = append(syn, n)
			}
		case Flaky:
			flaky = append(flaky, n)
		case Error:
			errs = append(errs, n)
		default:
			measured = append(measured, n)
		}
	}
	var parts []string
	if len(stale) > 0 {
		parts = append(parts, "81775: affected ("+strings.Join(stale, ", ")+")")
	}
	if len(syn) > 0 {
		parts = append(parts, "1 s SYN drop: affected ("+strings.Join(syn, ", ")+")")
	}
	if len(flaky) > 0 {
		parts = append(parts, "flaky ("+strings.Join(flaky, ", ")+")")
	}
	if len(parts) == 0 && len(measured) > 0 {
		parts = append(parts, fixedText(row.Fixes))
	}
	if len(errs) > 0 {
		parts = append(parts, "error ("+strings.Join(errs, ", ")+")")
	}
	if len(cleanControls) > 0 {
		parts = append(parts, "control clean, bug not reproduced where it must be ("+strings.Join(cleanControls, ", ")+")")
	}
	if len(parts) == 0 {
		return "no cells"
	}
	return strings.Join(parts, "; ")
}

// fixedText attributes a clean result to the fixes the provenance names.
func fixedText(fixes scenario.FixSet) string {
	have, miss := fixes.With(scenario.FixPresent), fixes.With(scenario.FixMissing)
	unknown := fixes.With(scenario.FixUnknown)
	switch {
	case len(have) == 0 && len(miss) == 0:
		return "clean (fixes unknown)"
	case len(miss) == 0 && len(unknown) == 0:
		return "fixed (fixes " + scenario.JoinFixes(have) + " present)"
	default:
		return fmt.Sprintf("clean (fixes %s)", fixes)
	}
}

func sortedAggNames(m map[string]*Agg) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Render writes matrix.md, matrix.html and charts/*.svg under root. Charts
// from earlier renders that no longer correspond to an entry are removed,
// so the directory always matches the markdown.
func Render(root string, m *Matrix) error {
	charts, err := Charts(m)
	if err != nil {
		return err
	}
	dir := filepath.Join(root, ChartsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create charts dir: %w", err)
	}
	keep := map[string]bool{}
	for _, c := range charts {
		keep[c.Name] = true
		if err := writeFile(filepath.Join(dir, c.Name), c.SVG); err != nil {
			return err
		}
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	for _, p := range old {
		if !keep[filepath.Base(p)] {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("remove stale chart: %w", err)
			}
		}
	}
	if err := writeFile(filepath.Join(root, MatrixMD), RenderMarkdown(m)); err != nil {
		return err
	}
	html, err := RenderHTML(m, charts)
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(root, MatrixHTML), html)
}

func writeFile(p string, b []byte) error {
	// Same bytes: leave the file (and its mtime) alone.
	if old, err := os.ReadFile(p); err == nil && string(old) == string(b) {
		return nil
	}
	if err := cache.WriteFileAtomic(p, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
