package scenario

import "fmt"

// MaxLagP99Ms bounds how late (p99) the open-loop generator may start
// requests. Beyond it the guest is CPU-starved, which itself delays SYNs by
// a second and would be mistaken for the kernel's SYN drop. Guest (retry)
// and host (verdict) both judge by this one rule.
const MaxLagP99Ms = 250

// Starved reports a cell whose open-loop load fell behind its schedule:
// the host could not run the guest fast enough, so it has no verdict.
func Starved(r *CellResult) bool {
	return r != nil && !r.Cell.Load.ClosedLoop && r.Lag.P99 > MaxLagP99Ms
}

// Attempt is what is kept of a cell attempt that was measured again: its
// summary and why it was not used.
type Attempt struct {
	Reason  string  `json:"reason"`
	Counts  Counts  `json:"counts"`
	Total   Summary `json:"total"`
	Connect Summary `json:"connect"`
	Lag     Summary `json:"lag"`
	// LoadSeconds is how long its load ran.
	LoadSeconds float64 `json:"load_seconds"`
}

// RetryStarved decides whether the guest measures a cell again: once,
// when the first attempt fell behind its schedule. A second attempt is
// never retried, so a host that stays busy costs one extra cell at most.
func RetryStarved(r *CellResult) bool {
	return Starved(r) && r.FirstAttempt == nil
}

// AsFirstAttempt is r's summary, to keep in the second attempt's result.
func AsFirstAttempt(r *CellResult) *Attempt {
	return &Attempt{
		Reason: fmt.Sprintf("fell behind its schedule (start lag p99 %.0f ms > %d ms)", r.Lag.P99, MaxLagP99Ms),
		Counts: r.Counts, Total: r.Total, Connect: r.Connect, Lag: r.Lag, LoadSeconds: r.LoadSeconds,
	}
}
