package repeats

import (
	"maps"
	"slices"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// CellOrder lists cell names in the order every report shows them (matrix
// columns, compare rows): first the dimension cells, then every other cell
// (controls, other tiers, extra settings) by name.
func CellOrder(names map[string]bool) []string {
	var out []string
	for _, c := range dimensionCells() {
		if names[c] {
			out = append(out, c)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(names)) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// dimensionCells are the plain value of every dimension in scenario's
// order: each proxy mode, for ipvs each fixed conn_reuse_mode, in the first
// tier, named as that cell would be. A new mode or reuse value gets its
// column from scenario, not from a list here.
func dimensionCells() []string {
	var out []string
	for _, m := range scenario.ProxyModes() {
		reuse := []string{""}
		if m == scenario.ModeIPVS {
			reuse = scenario.ReuseModes()
		}
		for _, r := range reuse {
			c := scenario.Cell{ProxyMode: m, ConnReuseMode: r, Tier: scenario.Tiers()[0]}
			out = append(out, c.DefaultName())
		}
	}
	return out
}
