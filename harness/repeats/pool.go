package repeats

import (
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/stats"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Agg is a group's repeats summarised, with intervals.
type Agg struct {
	Key
	Repeats  int               `json:"repeats"`
	RunIDs   []string          `json:"runs"`
	Verdict  verdict.Status    `json:"verdict"`
	Verdicts []verdict.Status  `json:"verdicts"` // one per repeat, oldest first
	Symptoms []verdict.Symptom `json:"symptoms,omitempty"`
	Reasons  []string          `json:"reasons,omitempty"`
	Control  bool              `json:"control"`
	Accel    string            `json:"accel"`
	CPUModel string            `json:"cpu_model"` // QEMU -cpu (resultfile.QEMUInfo.Model)
	Env      string            `json:"env"`       // Group.Env
	Settings string            `json:"settings"`  // Group.Settings
	// Sums over the repeats that produced numbers.
	Requests           int `json:"requests"`
	Timeouts           int `json:"timeouts"`
	ToTerminating      int `json:"to_terminating"`
	ErrorsAfterRemoval int `json:"errors_after_removal"`
	SlowConnects       int `json:"slow_connects"`
	// Wilson 95 % intervals of the rates per request.
	ToTermRate   stats.Interval `json:"to_terminating_rate"`
	GoneRate     stats.Interval `json:"errors_after_removal_rate"`
	SlowRate     stats.Interval `json:"slow_connect_rate"`
	TimeoutRate  stats.Interval `json:"timeout_rate"`
	AffectedRate float64        `json:"affected_share"`
	// P99 of the request total time in ms with a bootstrap interval over
	// the pooled raw records ("records") or, without them, over the
	// repeats' own p99s ("repeats").
	P99       stats.Interval `json:"p99_ms"`
	P99Method string         `json:"p99_method"`
	// Totals are the pooled per-request total times (ms), for tests.
	Totals  []float64 `json:"-"`
	RepP99s []float64 `json:"-"`
	// Last is the newest sample with records, for the latency chart.
	Last *Sample `json:"-"`
	// Fidelity is the newest repeat's comparison of what the real
	// kube-proxy programmed with the dataplane tier (kube-proxy tier only).
	Fidelity *scenario.Fidelity `json:"fidelity,omitempty"`
}

// JoinLabels writes a set of labels (accelerators, CPU models) the way
// Agg carries them: sorted, joined with "+"; SplitLabels reads them back.
func JoinLabels(set map[string]bool) string { return strings.Join(slices.Sorted(maps.Keys(set)), "+") }

// SplitLabels is JoinLabels' inverse.
func SplitLabels(s string) []string { return strings.Split(s, "+") }

// IsControl: a cell with expire_nodest_conn=0 must show the bug on every
// kernel (domain.md); it checks the harness, not the kernel.
func IsControl(c *resultfile.Cell) bool {
	if c.Result != nil && c.Result.Cell.ExpireNodestConn != nil {
		return *c.Result.Cell.ExpireNodestConn == 0
	}
	return strings.Contains(c.Name, "-nodest0")
}

// Pool sums a group's repeats and computes intervals. Records files
// are read from the run directories; a missing one downgrades the p99
// interval to the per-repeat method instead of failing.
func Pool(g *Group) *Agg {
	a := &Agg{Key: g.Key, Repeats: len(g.Samples), Env: g.Env, Settings: g.Settings}
	allRecords := true
	accels, models := map[string]bool{}, map[string]bool{}
	symptoms := map[verdict.Symptom]bool{}
	for i := range g.Samples {
		s := &g.Samples[i]
		a.RunIDs = append(a.RunIDs, s.Run.ID)
		a.Verdicts = append(a.Verdicts, s.Cell.Verdict.Status)
		a.Control = a.Control || IsControl(s.Cell)
		accels[s.Run.File.QEMU.Accel] = true
		models[s.Run.File.QEMU.Model()] = true
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
		recs, err := resultfile.ReadRecords(filepath.Join(s.Run.Dir, s.Cell.Records))
		if err != nil {
			allRecords = false
			continue
		}
		for _, rec := range recs {
			a.Totals = append(a.Totals, float64(rec.Total)/1e6)
		}
		a.Last = s
	}
	a.Verdict = verdict.Combine(a.Verdicts)
	a.Symptoms = slices.Sorted(maps.Keys(symptoms))
	a.Accel, a.CPUModel = JoinLabels(accels), JoinLabels(models)
	a.ToTermRate = stats.Wilson(a.ToTerminating, a.Requests)
	a.GoneRate = stats.Wilson(a.ErrorsAfterRemoval, a.Requests)
	a.SlowRate = stats.Wilson(a.SlowConnects, a.Requests)
	a.TimeoutRate = stats.Wilson(a.Timeouts, a.Requests)
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
		a.P99, a.P99Method = stats.BootstrapQuantile(a.Totals, 0.99), "records"
	case len(a.RepP99s) > 0:
		a.P99, a.P99Method = stats.Bootstrap(a.RepP99s, stats.Mean), "repeats"
		a.Totals = nil
	default:
		a.P99 = stats.NoInterval()
	}
	return a
}
