package results

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// Key names a matrix entry: one cell of one kernel in one tier.
type Key struct {
	Tier   string `json:"tier"`
	Kernel string `json:"kernel"`
	Cell   string `json:"cell"`
}

// Sample is one boot's result for one cell.
type Sample struct {
	Run  *Run
	Cell *Cell
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

func envPrint(f *File) string {
	b, _ := json.Marshal([]any{f.Kernel.VmlinuzSHA256, f.Image.SHA256, f.QEMU.Accel, f.QEMU.CPUs, f.QEMU.MemoryMiB})
	return shortHash(b)
}

func settingsPrint(c *Cell) string {
	if c.Result == nil {
		return ""
	}
	b, _ := json.Marshal(c.Result.Cell)
	return shortHash(b)
}

func shortHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:6])
}

// GroupRuns splits runs into groups. A cell that failed has no settings
// recorded; it joins the newest group of its key with the same Env, so a
// repeat that errored still counts against its siblings.
func GroupRuns(runs []Run) []*Group {
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

// LatestGroups keeps, per key, the group with the newest run; the others
// are superseded configurations (returned as a count, for the report).
func LatestGroups(groups []*Group) ([]*Group, int) {
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

// Agg is a group's repeats summarised, with intervals.
type Agg struct {
	Key
	Repeats  int      `json:"repeats"`
	RunIDs   []string `json:"runs"`
	Verdict  string   `json:"verdict"`  // clean | affected | error | flaky
	Verdicts []string `json:"verdicts"` // one per repeat, oldest first
	Symptoms []string `json:"symptoms,omitempty"`
	Reasons  []string `json:"reasons,omitempty"`
	Control  bool     `json:"control"`
	Accel    string   `json:"accel"`
	Env      string   `json:"env"`      // Group.Env
	Settings string   `json:"settings"` // Group.Settings
	// Sums over the repeats that produced numbers.
	Requests           int `json:"requests"`
	Timeouts           int `json:"timeouts"`
	ToTerminating      int `json:"to_terminating"`
	ErrorsAfterRemoval int `json:"errors_after_removal"`
	SlowConnects       int `json:"slow_connects"`
	// Wilson 95 % intervals of the rates per request.
	ToTermRate   Interval `json:"to_terminating_rate"`
	GoneRate     Interval `json:"errors_after_removal_rate"`
	SlowRate     Interval `json:"slow_connect_rate"`
	TimeoutRate  Interval `json:"timeout_rate"`
	AffectedRate float64  `json:"affected_share"`
	// P99 of the request total time in ms with a bootstrap interval over
	// the pooled raw records ("records") or, without them, over the
	// repeats' own p99s ("repeats").
	P99       Interval `json:"p99_ms"`
	P99Method string   `json:"p99_method"`
	// Totals are the pooled per-request total times (ms), for tests.
	Totals  []float64 `json:"-"`
	RepP99s []float64 `json:"-"`
	// Last is the newest sample with records, for the latency chart.
	Last *Sample `json:"-"`
	// Fidelity is the newest repeat's comparison of what the real
	// kube-proxy programmed with the dataplane tier (kube-proxy tier only).
	Fidelity *scenario.Fidelity `json:"fidelity,omitempty"`
}

// IsControl: a cell with expire_nodest_conn=0 must show the bug on every
// kernel (domain.md); it checks the harness, not the kernel.
func IsControl(c *Cell) bool {
	if c.Result != nil && c.Result.Cell.ExpireNodestConn != nil {
		return *c.Result.Cell.ExpireNodestConn == 0
	}
	return strings.Contains(c.Name, "-nodest0")
}

// Aggregate sums a group's repeats and computes intervals. Records files
// are read from the run directories; a missing one downgrades the p99
// interval to the per-repeat method instead of failing.
func Aggregate(g *Group) *Agg {
	a := &Agg{Key: g.Key, Repeats: len(g.Samples), Env: g.Env, Settings: g.Settings}
	allRecords := true
	accels := map[string]bool{}
	symptoms := map[string]bool{}
	for i := range g.Samples {
		s := &g.Samples[i]
		a.RunIDs = append(a.RunIDs, s.Run.ID)
		a.Verdicts = append(a.Verdicts, s.Cell.Verdict.Status)
		a.Control = a.Control || IsControl(s.Cell)
		accels[s.Run.File.QEMU.Accel] = true
		for _, sy := range s.Cell.Verdict.Symptoms {
			symptoms[sy] = true
		}
		for _, r := range s.Cell.Verdict.Reasons {
			a.Reasons = append(a.Reasons, s.Run.ID+": "+r)
		}
		r := s.Cell.Result
		if r == nil {
			allRecords = false
			continue
		}
		if r.Effective.Fidelity != nil {
			a.Fidelity = r.Effective.Fidelity
		}
		c := r.Counts
		a.Requests += c.Requests
		a.Timeouts += c.Errors[scenario.ErrTimeout]
		a.ToTerminating += c.ToTerminating
		a.ErrorsAfterRemoval += c.ErrorsAfterRemoval
		a.SlowConnects += c.SlowConnects
		a.RepP99s = append(a.RepP99s, r.Total.P99)
		if s.Cell.Records == "" {
			allRecords = false
			continue
		}
		recs, err := ReadRecords(filepath.Join(s.Run.Dir, s.Cell.Records))
		if err != nil {
			allRecords = false
			continue
		}
		for _, rec := range recs {
			a.Totals = append(a.Totals, float64(rec.Total)/1e6)
		}
		a.Last = s
	}
	a.Verdict = CombineVerdicts(a.Verdicts)
	a.Symptoms = sortedKeys(symptoms)
	a.Accel = strings.Join(sortedKeys(accels), "+")
	a.ToTermRate = Wilson(a.ToTerminating, a.Requests)
	a.GoneRate = Wilson(a.ErrorsAfterRemoval, a.Requests)
	a.SlowRate = Wilson(a.SlowConnects, a.Requests)
	a.TimeoutRate = Wilson(a.Timeouts, a.Requests)
	if a.Requests > 0 {
		// Successes to a removed pod and failures after a removal are
		// disjoint; a slow connect may overlap either, so this is an upper
		// bound when both symptoms hit one request.
		a.AffectedRate = math.Min(1, float64(a.ToTerminating+a.ErrorsAfterRemoval+a.SlowConnects)/float64(a.Requests))
	} else {
		a.AffectedRate = math.NaN()
	}
	switch {
	case allRecords && len(a.Totals) > 0:
		a.P99, a.P99Method = BootstrapQuantile(a.Totals, 0.99), "records"
	case len(a.RepP99s) > 0:
		a.P99, a.P99Method = Bootstrap(a.RepP99s, Mean), "repeats"
		a.Totals = nil
	default:
		a.P99 = Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	return a
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
