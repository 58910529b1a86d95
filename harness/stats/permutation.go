package stats

import (
	"math"
	"slices"
)

// PermutationTest is the two-sided p-value of stat(b)-stat(a) under the
// null hypothesis that a and b come from one distribution: the labels are
// shuffled and the observed |difference| is ranked among the shuffled ones.
// When there are at most Resamples ways to split the pooled values (few
// repeats), every split is enumerated and p is exact.
func PermutationTest(a, b []float64, stat func([]float64) float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	pooled := append(slices.Clone(a), b...)
	obs := math.Abs(stat(slices.Clone(b)) - stat(slices.Clone(a)))
	// Tolerance: float noise must not turn a tie into "more extreme".
	tol := 1e-9 * math.Max(1, obs)
	extreme := func(x, y []float64) bool {
		return math.Abs(stat(slices.Clone(y))-stat(slices.Clone(x))) >= obs-tol
	}
	na := len(a)
	if splits := binomial(len(pooled), na); splits <= Resamples {
		hits, total := 0, 0
		forEachSplit(len(pooled), na, func(inA []bool) {
			x, y := split(pooled, inA)
			total++
			if extreme(x, y) {
				hits++
			}
		})
		return float64(hits) / float64(total)
	}
	rng := NewRNG()
	perm := slices.Clone(pooled)
	hits := 0
	for range Resamples {
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		if extreme(perm[:na], perm[na:]) {
			hits++
		}
	}
	// The +1s count the observed labelling itself (Phipson & Smyth), so a
	// Monte Carlo p is never 0.
	return float64(hits+1) / float64(Resamples+1)
}

func binomial(n, k int) float64 {
	return math.Round(math.Exp(logFactorial(n) - logFactorial(k) - logFactorial(n-k)))
}

// logFactorial is ln(x!), exact enough for the counts of a rollout.
func logFactorial(x int) float64 {
	v, _ := math.Lgamma(float64(x) + 1)
	return v
}

func forEachSplit(n, k int, f func(inA []bool)) {
	inA := make([]bool, n)
	var rec func(start, left int)
	rec = func(start, left int) {
		if left == 0 {
			f(inA)
			return
		}
		for i := start; i <= n-left; i++ {
			inA[i] = true
			rec(i+1, left-1)
			inA[i] = false
		}
	}
	rec(0, k)
}

func split(pooled []float64, inA []bool) (a, b []float64) {
	for i, v := range pooled {
		if inA[i] {
			a = append(a, v)
		} else {
			b = append(b, v)
		}
	}
	return a, b
}
