package results

// Statistics over repeated boots of one cell. Firecracker's A/B tests are the
// model: a difference counts only when a permutation test gives p < 0.01 AND
// the shift is large enough to matter. Everything here is pure; the random
// resampling is seeded, so the same inputs always give the same verdicts.

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Flaky is the aggregate verdict of a cell whose repeats disagree (one
// affected, one clean): NIPA's fail-then-pass. It is never a per-boot verdict.
const Flaky = "flaky"

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
	// Resamples is the number of bootstrap/permutation draws. 2000 puts the
	// smallest reachable p at 1/2001, well under Alpha.
	Resamples = 2000
	// Seed fixes the RNG: verdicts must not change between two renders.
	Seed = 81775
	// z95 is the normal quantile for two-sided 95 % intervals.
	z95 = 1.959963984540054
)

// Interval is a point estimate with a 95 % confidence interval.
type Interval struct {
	Point float64 `json:"point"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

// NewRNG returns the seeded generator every statistic here uses; callers
// make one per computation so results do not depend on call order.
func NewRNG() *rand.Rand { return rand.New(rand.NewPCG(Seed, Seed)) }

// Wilson is the Wilson score interval of k events in n trials. Unlike the
// normal approximation it stays inside [0,1] and is not degenerate at k=0,
// which is the common case here (a fixed kernel: 0 of 3000 requests).
func Wilson(k, n int) Interval {
	if n <= 0 {
		return Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	p := float64(k) / float64(n)
	nf := float64(n)
	z2 := z95 * z95
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / den
	return Interval{Point: p, Lo: math.Max(0, center-half), Hi: math.Min(1, center+half)}
}

// Quantile is the nearest-rank q-quantile (0 < q <= 1) of xs; xs is not
// modified. Nearest rank returns an observed value, as HDR histograms do.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	return selectK(s, rankIndex(len(s), q))
}

func rankIndex(n int, q float64) int {
	i := int(math.Ceil(q*float64(n))) - 1
	return min(max(i, 0), n-1)
}

// selectK returns the k-th smallest element (0-based), reordering s.
// Quickselect keeps a 2000-fold bootstrap of 10^4 records linear.
func selectK(s []float64, k int) float64 {
	lo, hi := 0, len(s)-1
	for lo < hi {
		// Median of three: sorted or constant inputs stay linear.
		mid := lo + (hi-lo)/2
		if s[mid] < s[lo] {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if s[hi] < s[lo] {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if s[hi] < s[mid] {
			s[hi], s[mid] = s[mid], s[hi]
		}
		pivot := s[mid]
		i, j := lo, hi
		for i <= j {
			for s[i] < pivot {
				i++
			}
			for s[j] > pivot {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}

// Mean of xs (NaN when empty).
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// BootstrapQuantile is the percentile-bootstrap 95 % interval of the
// q-quantile of xs: resample xs with replacement Resamples times.
func BootstrapQuantile(xs []float64, q float64) Interval {
	return Bootstrap(xs, func(s []float64) float64 { return selectK(s, rankIndex(len(s), q)) })
}

// Bootstrap is the percentile-bootstrap 95 % interval of stat over xs.
// stat may reorder its argument (it gets a fresh resample each time).
func Bootstrap(xs []float64, stat func([]float64) float64) Interval {
	if len(xs) == 0 {
		return Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
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
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	return math.Round(math.Exp(lg(n) - lg(k) - lg(n-k)))
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
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
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

// Diff is one metric compared between A and B.
type Diff struct {
	Metric string  `json:"metric"`
	A      float64 `json:"a"`
	B      float64 `json:"b"`
	// Shift is (B-A) / max(|A|, floor): the relative change.
	Shift  float64 `json:"shift"`
	P      float64 `json:"p"`
	Method string  `json:"method"`
	// Significant: p < Alpha and |Shift| >= MinShift.
	Significant bool `json:"significant"`
}

func decide(d Diff, floor float64) Diff {
	d.Shift = (d.B - d.A) / math.Max(math.Abs(d.A), floor)
	d.Significant = !math.IsNaN(d.P) && d.P < Alpha && math.Abs(d.Shift) >= MinShift
	return d
}

// CompareRates tests k1/n1 against k2/n2 over pooled requests (Fisher's
// exact test). Pooling treats requests as independent, which requests in
// one rollout are not quite; repeats that disagree show up as Flaky instead.
func CompareRates(metric string, k1, n1, k2, n2 int) Diff {
	d := Diff{Metric: metric, P: FisherExact(k1, n1, k2, n2), Method: "fisher-exact/requests"}
	d.A, d.B = math.NaN(), math.NaN()
	if n1 > 0 {
		d.A = float64(k1) / float64(n1)
	}
	if n2 > 0 {
		d.B = float64(k2) / float64(n2)
	}
	return decide(d, RateFloor)
}

// CompareQuantile tests the q-quantile of two samples with a permutation
// test; method names the sampling unit ("records" or "repeats").
func CompareQuantile(metric, method string, a, b []float64, q float64, floor float64) Diff {
	stat := func(s []float64) float64 { return selectK(s, rankIndex(len(s), q)) }
	d := Diff{Metric: metric, A: Quantile(a, q), B: Quantile(b, q), Method: "permutation/" + method}
	d.P = PermutationTest(a, b, stat)
	return decide(d, floor)
}

// CompareMeans tests the mean of per-repeat values (e.g. each boot's p99
// when no raw records are left) with a permutation test over repeats. With
// fewer than 5 repeats per side no split reaches p < 0.01, so it never
// claims significance on too little data.
func CompareMeans(metric string, a, b []float64, floor float64) Diff {
	d := Diff{Metric: metric, A: Mean(a), B: Mean(b), Method: "permutation/repeats"}
	d.P = PermutationTest(a, b, Mean)
	return decide(d, floor)
}

// CombineVerdicts is the verdict over repeats: agreement wins, affected and
// clean together are Flaky, and errors only count when nothing else ran.
func CombineVerdicts(statuses []string) string {
	var clean, affected, other bool
	for _, s := range statuses {
		switch s {
		case Clean:
			clean = true
		case Affected:
			affected = true
		default:
			other = true
		}
	}
	switch {
	case clean && affected:
		return Flaky
	case affected:
		return Affected
	case clean:
		return Clean
	case other:
		return Error
	}
	return Error
}
