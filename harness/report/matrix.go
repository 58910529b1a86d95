// Package report is the results matrix: kernels x cells from the pooled
// repeats, each kernel's headline, which fix removed a symptom, and its
// renderings (matrix.md, matrix.html, SVG charts). Everything rendered
// comes from the inputs (no generation time), so an unchanged results tree
// renders byte-identically.
package report

import (
	"slices"
	"sort"

	"github.com/rolloutlab/rolloutlab/harness/repeats"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Output names under the results root.
const (
	MatrixMD   = "matrix.md"
	MatrixHTML = "matrix.html"
)

// Matrix is kernels x cells, each entry the aggregate of its latest
// configuration's repeats.
type Matrix struct {
	Rows       []*Row
	Columns    []string
	Skipped    []resultfile.Skipped
	Superseded int // older configurations of a key, not shown
}

// Row is one kernel in one tier.
type Row struct {
	Tier        string
	Kernel      string
	Release     string
	UnameR      string
	Source      string // the catalog source kind: build, debian, ...
	Fixes       scenario.FixSet
	FixesSource string
	Accel       string
	CPUModel    string // the guest's QEMU -cpu (repeats.Agg.CPUModel)
	// Measured says when and on what: the runs' dates, the host's cores
	// and, where recorded, the host's highest 1-minute load, so a stale
	// or contended row is visible.
	Measured string
	Cells    map[string]*repeats.Agg
	Headline string
}

// unionLabels joins one label of every cell of a row (repeats.JoinLabels).
func unionLabels(cells map[string]*repeats.Agg, label func(*repeats.Agg) string) string {
	set := map[string]bool{}
	for _, a := range cells {
		for _, x := range repeats.SplitLabels(label(a)) {
			set[x] = true
		}
	}
	return repeats.JoinLabels(set)
}

// Build makes the matrix from collected runs. It reads records files but
// writes nothing.
func Build(runs []resultfile.Run, skipped []resultfile.Skipped) *Matrix {
	groups, superseded := repeats.Latest(repeats.Groups(runs))
	m := &Matrix{Skipped: skipped, Superseded: superseded}
	rows := map[[2]string]*Row{}
	hosts := map[*Row]*hostSpan{}
	cols := map[string]bool{}
	for _, g := range groups {
		rk := [2]string{g.Tier, g.Kernel}
		row := rows[rk]
		if row == nil {
			row = &Row{Tier: g.Tier, Kernel: g.Kernel, Cells: map[string]*repeats.Agg{}}
			rows[rk] = row
			m.Rows = append(m.Rows, row)
		}
		// Provenance from the newest run of the row.
		newest := g.Samples[len(g.Samples)-1].Run.File
		if row.Release == "" || newest.Kernel.Release != "" {
			row.Release, row.UnameR, row.Source = newest.Kernel.Release, newest.Kernel.UnameR, newest.Kernel.Source
			row.Fixes, row.FixesSource = newest.Kernel.Fixes, newest.Kernel.FixesSource
		}
		row.Cells[g.Cell] = repeats.Pool(g)
		if hosts[row] == nil {
			hosts[row] = &hostSpan{}
		}
		for _, smp := range g.Samples {
			hosts[row].add(smp.Run.File)
		}
		cols[g.Cell] = true
	}
	for _, row := range m.Rows {
		row.Accel = unionLabels(row.Cells, func(a *repeats.Agg) string { return a.Accel })
		row.CPUModel = unionLabels(row.Cells, func(a *repeats.Agg) string { return a.CPUModel })
		row.Measured = hosts[row].String(row.Accel)
		row.Headline = Headline(row)
	}
	slices.SortStableFunc(m.Rows, compareRows)
	m.Columns = repeats.CellOrder(cols)
	sort.Slice(m.Skipped, func(i, j int) bool { return m.Skipped[i].Dir < m.Skipped[j].Dir })
	return m
}
