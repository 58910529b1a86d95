// Package repeats groups the boots of one matrix entry that are alike
// (same kernel binary, image, accelerator and cell settings) and pools them
// into one aggregate with intervals: the unit every report shows.
package repeats

import (
	"sort"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
)

// Key names a matrix entry: one cell of one kernel in one tier.
type Key struct {
	Tier   string `json:"tier"`
	Kernel string `json:"kernel"`
	Cell   string `json:"cell"`
}

// Sample is one boot's result for one cell.
type Sample struct {
	Run  *resultfile.Run
	Cell *resultfile.Cell
}

// Group is every repeat of a Key whose other dimensions are equal
// (KernelCI: compare like with like).
type Group struct {
	Key
	// Env fingerprints the kernel binary, the guest image, the accelerator
	// and the guest's size; Settings fingerprints the cell's full settings.
	// The harness commit is left out on purpose: it changes with every
	// commit, and repeats of one nightly would never group across a rebase.
	Env      string
	Settings string
	Samples  []Sample
	Latest   time.Time
}

// Groups splits runs into groups of repeats. A cell that failed has no settings
// recorded; it joins the newest group of its key with the same Env, so a
// repeat that errored still counts against its siblings.
func Groups(runs []resultfile.Run) []*Group {
	byID := map[string]*Group{}
	var groups []*Group
	var orphans []Sample
	for i := range runs {
		r := &runs[i]
		for j := range r.File.Cells {
			c := &r.File.Cells[j]
			s := Sample{Run: r, Cell: c}
			if c.Result == nil {
				orphans = append(orphans, s)
				continue
			}
			k := Key{Tier: r.File.Tier, Kernel: r.File.Kernel.Name, Cell: c.Name}
			env, set := envPrint(r.File), settingsPrint(c)
			id := k.Tier + "\x00" + k.Kernel + "\x00" + k.Cell + "\x00" + env + "\x00" + set
			g := byID[id]
			if g == nil {
				g = &Group{Key: k, Env: env, Settings: set}
				byID[id] = g
				groups = append(groups, g)
			}
			g.add(s)
		}
	}
	for _, s := range orphans {
		k := Key{Tier: s.Run.File.Tier, Kernel: s.Run.File.Kernel.Name, Cell: s.Cell.Name}
		env := envPrint(s.Run.File)
		var home *Group
		for _, g := range groups {
			if g.Key == k && g.Env == env && (home == nil || g.Latest.After(home.Latest)) {
				home = g
			}
		}
		if home == nil {
			home = &Group{Key: k, Env: env}
			groups = append(groups, home)
		}
		home.add(s)
	}
	for _, g := range groups {
		sort.SliceStable(g.Samples, func(i, j int) bool {
			a, b := g.Samples[i].Run, g.Samples[j].Run
			if !a.File.StartedAt.Equal(b.File.StartedAt) {
				return a.File.StartedAt.Before(b.File.StartedAt)
			}
			return a.Dir < b.Dir
		})
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].less(groups[j]) })
	return groups
}

func (g *Group) add(s Sample) {
	g.Samples = append(g.Samples, s)
	if t := s.Run.File.StartedAt; t.After(g.Latest) {
		g.Latest = t
	}
}

func (g *Group) less(o *Group) bool {
	if g.Key != o.Key {
		return keyLess(g.Key, o.Key)
	}
	if !g.Latest.Equal(o.Latest) {
		return g.Latest.Before(o.Latest)
	}
	return g.Env+g.Settings < o.Env+o.Settings
}

func keyLess(a, b Key) bool {
	if a.Tier != b.Tier {
		return a.Tier < b.Tier
	}
	if a.Kernel != b.Kernel {
		return a.Kernel < b.Kernel
	}
	return a.Cell < b.Cell
}

// Latest keeps, per key, the group with the newest run; the others
// are superseded configurations (returned as a count, for the report).
func Latest(groups []*Group) ([]*Group, int) {
	latest := map[Key]*Group{}
	for _, g := range groups {
		if cur := latest[g.Key]; cur == nil || g.Latest.After(cur.Latest) {
			latest[g.Key] = g
		}
	}
	var out []*Group
	for _, g := range groups {
		if latest[g.Key] == g {
			out = append(out, g)
		}
	}
	return out, len(groups) - len(out)
}
