package stats

import "math"

// FisherExact is the two-sided p-value of "k1 of n1 vs k2 of n2 have the
// event". It is the exact permutation test of per-request 0/1 outcomes
// (shuffling request labels between A and B keeps both margins fixed), so
// no resampling is needed: p sums the hypergeometric probabilities of all
// tables no more likely than the observed one.
func FisherExact(k1, n1, k2, n2 int) float64 {
	if n1 <= 0 || n2 <= 0 {
		return math.NaN()
	}
	K, N := k1+k2, n1+n2
	lg := logFactorial
	logP := func(x int) float64 { // P(X=x) for X ~ Hypergeometric(N, K, n1)
		return lg(K) - lg(x) - lg(K-x) + lg(N-K) - lg(n1-x) - lg(N-K-n1+x) - lg(N) + lg(n1) + lg(N-n1)
	}
	obs := logP(k1)
	p := 0.0
	for x := max(0, n1-(N-K)); x <= min(K, n1); x++ {
		if lp := logP(x); lp <= obs+1e-7 {
			p += math.Exp(lp)
		}
	}
	return math.Min(1, p)
}
