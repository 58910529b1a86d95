// Package stats is the statistics over repeated boots of one cell: Wilson
// intervals on rates, percentile bootstraps, permutation tests and Fisher's
// exact test. Everything here is pure; the random resampling is seeded, so
// the same inputs always give the same intervals and p-values.
package stats

import "math"

// z95 is the normal quantile for two-sided 95 % intervals.
const z95 = 1.959963984540054

// Interval is a point estimate with a 95 % confidence interval.
type Interval struct {
	Point float64 `json:"point"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

// NoInterval is the estimate from no data: every part NaN, which the
// reports print as "–".
func NoInterval() Interval { return Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN()} }

// Wilson is the Wilson score interval of k events in n trials. Unlike the
// normal approximation it stays inside [0,1] and is not degenerate at k=0,
// which is the common case here (a fixed kernel: 0 of 3000 requests).
func Wilson(k, n int) Interval {
	if n <= 0 {
		return NoInterval()
	}
	p := float64(k) / float64(n)
	nf := float64(n)
	z2 := z95 * z95
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / den
	return Interval{Point: p, Lo: math.Max(0, center-half), Hi: math.Min(1, center+half)}
}
