package verdict

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// starvedReason says why a cell has no verdict: its load fell behind, on
// the second attempt too when there was one.
func starvedReason(r *scenario.CellResult) string {
	s := fmt.Sprintf("load generator fell behind its schedule (start lag p99 %.0f ms > %d ms): the guest was too slow for %.0f req/s; lower the rate or free the host",
		r.Lag.P99, scenario.MaxLagP99Ms, r.Cell.Load.Rate)
	if a := r.FirstAttempt; a != nil {
		s += fmt.Sprintf("; measured twice in the boot, the first attempt fell behind too (lag p99 %.0f ms)", a.Lag.P99)
	}
	return s
}

// secondAttemptReason marks a verdict that comes from the retry.
func secondAttemptReason(a *scenario.Attempt) string {
	return fmt.Sprintf("measured on the second attempt; the first fell behind (lag p99 %.0f ms)", a.Lag.P99)
}

// portExhaustedReason reports the client's own port exhaustion, which is
// kept out of every symptom and of the failures after a removal.
func portExhaustedReason(r *scenario.CellResult, n int) string {
	return fmt.Sprintf("%d of %d requests never left the client: no free local port (EADDRNOTAVAIL at connect, port range %s at %.0f req/s); the client's limit, not counted against the kernel or the rollout",
		n, r.Counts.Requests, r.Cell.Load.ClientPortRange, r.Cell.Load.Rate)
}

// errnoSummary is "EMFILE 2, unknown 1", by name.
func errnoSummary(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// NoteHostLoad adds the host's load during the boot to the reason of a
// cell that has no verdict because its load fell behind: the usual cause
// is a busy host, and the reader should see how busy. load is
// HostLoad's description ("" when the boot did not record it).
func NoteHostLoad(v *Verdict, r *scenario.CellResult, load string) {
	if load == "" || v.Status != Error || !Starved(r) || len(v.Reasons) == 0 || strings.Contains(v.Reasons[0], load) {
		return
	}
	v.Reasons[0] += "; " + load
}
