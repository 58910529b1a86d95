package abtest

import (
	"math"

	"github.com/rolloutlab/rolloutlab/harness/stats"
)

// Diff is one metric compared between A and B.
type Diff struct {
	Metric string  `json:"metric"`
	A      float64 `json:"a"`
	B      float64 `json:"b"`
	// Change is the real relative change (B-A) / |A|: +Inf from a zero A.
	Change float64 `json:"change"`
	// Shift is (B-A) / max(|A|, floor): the change the rule judges, which
	// reads small when A is below the floor (p99 8.5 -> 76.8 ms is a
	// Change of +804 % but a Shift of +7 % against the 1 s floor).
	Shift  float64 `json:"shift"`
	P      float64 `json:"p"`
	Method string  `json:"method"`
	// Significant: p < Alpha and |Shift| >= MinShift.
	Significant bool `json:"significant"`
}

// CompareRates tests k1/n1 against k2/n2 over pooled requests (Fisher's
// exact test). Pooling treats requests as independent, which requests in
// one rollout are not quite; repeats that disagree show up as flaky instead.
func CompareRates(metric string, k1, n1, k2, n2 int) Diff {
	d := Diff{Metric: metric, P: stats.FisherExact(k1, n1, k2, n2), Method: "fisher-exact/requests"}
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
	d := Diff{Metric: metric, A: stats.Quantile(a, q), B: stats.Quantile(b, q), Method: "permutation/" + method}
	d.P = stats.PermutationTest(a, b, stats.QuantileStat(q))
	return decide(d, floor)
}

// CompareMeans tests the mean of per-repeat values (e.g. each boot's p99
// when no raw records are left) with a permutation test over repeats. With
// fewer than 5 repeats per side no split reaches p < 0.01, so it never
// claims significance on too little data.
func CompareMeans(metric string, a, b []float64, floor float64) Diff {
	d := Diff{Metric: metric, A: stats.Mean(a), B: stats.Mean(b), Method: "permutation/repeats"}
	d.P = stats.PermutationTest(a, b, stats.Mean)
	return decide(d, floor)
}
