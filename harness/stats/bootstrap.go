package stats

import (
	"math/rand/v2"
	"slices"
)

// Resamples is the number of bootstrap/permutation draws. 2000 puts the
// smallest reachable p at 1/2001, well under a 0.01 threshold.
const Resamples = 2000

// Seed fixes the RNG: intervals must not change between two renders.
const Seed = 81775

// NewRNG returns the seeded generator every statistic here uses; callers
// make one per computation so results do not depend on call order.
func NewRNG() *rand.Rand { return rand.New(rand.NewPCG(Seed, Seed)) }

// BootstrapQuantile is the percentile-bootstrap 95 % interval of the
// q-quantile of xs: resample xs with replacement Resamples times.
func BootstrapQuantile(xs []float64, q float64) Interval {
	return Bootstrap(xs, QuantileStat(q))
}

// Bootstrap is the percentile-bootstrap 95 % interval of stat over xs.
// stat may reorder its argument (it gets a fresh resample each time).
func Bootstrap(xs []float64, stat func([]float64) float64) Interval {
	if len(xs) == 0 {
		return NoInterval()
	}
	point := stat(slices.Clone(xs))
	rng := NewRNG()
	buf := make([]float64, len(xs))
	vals := make([]float64, Resamples)
	for r := range vals {
		for i := range buf {
			buf[i] = xs[rng.IntN(len(xs))]
		}
		vals[r] = stat(buf)
	}
	slices.Sort(vals)
	return Interval{Point: point, Lo: vals[rankIndex(Resamples, 0.025)], Hi: vals[rankIndex(Resamples, 0.975)]}
}
