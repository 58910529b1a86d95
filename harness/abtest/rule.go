// Package abtest compares two sets of results cell by cell, like with like.
// Firecracker's A/B tests are the model: a difference counts only when a
// test gives p < Alpha AND the shift is large enough to matter.
package abtest

import "math"

// Decision thresholds. They are choices, not measurements.
const (
	// Alpha: Firecracker's p-value threshold.
	Alpha = 0.01
	// MinShift: Firecracker's minimum relative shift (20 %).
	MinShift = 0.20
	// RateFloor: a rate's relative shift is measured against
	// max(baseline, RateFloor), so 0 -> 0.3 % is a 60 % shift instead of an
	// infinite one. 0.5 % is one request in 200; below that a rate change
	// needs the p-value alone to be believed, and the floor keeps a single
	// stray request from being called "a 100 % regression".
	RateFloor = 0.005
	// P99FloorMs: the same for p99. Boots of kernels that behave alike
	// differ by up to ~100 ms at p99 under TCG (measured, ipvs mode 0:
	// 5.10 164 ms, 5.10-revert-B 70 ms, 6.1 59 ms), and a permutation over
	// pooled records cannot see that between-boot spread, so a p99 shift
	// only counts from 20 % of 1 s = 200 ms up. The smallest delay this
	// tool exists to catch is the 1 s SYN retransmit.
	P99FloorMs = 1000.0
)

// decide applies the rule: the shift against max(|A|, floor), significant
// only with both a small p and a large shift.
func decide(d Diff, floor float64) Diff {
	d.Change = relChange(d.A, d.B)
	d.Shift = (d.B - d.A) / math.Max(math.Abs(d.A), floor)
	d.Significant = !math.IsNaN(d.P) && d.P < Alpha && math.Abs(d.Shift) >= MinShift
	return d
}

// relChange is (b-a)/|a|; 0 when both are 0, ±Inf from a zero a.
func relChange(a, b float64) float64 {
	switch {
	case a == b:
		return 0
	case a == 0:
		return math.Copysign(math.Inf(1), b)
	}
	return (b - a) / math.Abs(a)
}
