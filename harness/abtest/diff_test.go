package abtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/stats"
	"github.com/rolloutlab/rolloutlab/harness/stats/statstest"
)

// latencies draws n log-normal request times (ms) around median ms.
func latencies(seed uint64, n int, median float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, n)
	for i := range out {
		out[i] = median * math.Exp(0.5*r.NormFloat64())
	}
	return out
}

func TestInjectedP99ShiftIsSignificant(t *testing.T) {
	a := latencies(1, 3000, 400)
	b := latencies(2, 3000, 600) // +50 % everywhere: p99 ~1.3 -> ~1.9 s
	d := CompareQuantile("p99", "records", a, b, 0.99, P99FloorMs)
	if !d.Significant || d.P >= Alpha || d.Shift < 0.4 {
		t.Fatalf("injected +50%% shift not detected: %+v", d)
	}
}

func TestSmallP99ShiftIsNotMaterial(t *testing.T) {
	// Two boots of alike kernels under TCG: p99 ~160 -> ~60 ms. The
	// records differ (p tiny), but the shift is below 20 % of P99FloorMs.
	a := latencies(1, 3000, 50)
	b := latencies(2, 3000, 19)
	d := CompareQuantile("p99", "records", a, b, 0.99, P99FloorMs)
	if d.P >= Alpha || d.Significant {
		t.Fatalf("want p < alpha but not material: %+v", d)
	}
}

func TestNoiseIsNotSignificant(t *testing.T) {
	a := latencies(3, 3000, 10)
	b := latencies(4, 3000, 10)
	d := CompareQuantile("p99", "records", a, b, 0.99, P99FloorMs)
	if d.Significant {
		t.Fatalf("two samples of one distribution called different: %+v", d)
	}
	r := CompareRates("to_terminating", 3, 3000, 4, 3000)
	if r.Significant || r.P < 0.5 {
		t.Fatalf("3/3000 vs 4/3000 called different: %+v", r)
	}
}

func TestInjectedRateIsSignificant(t *testing.T) {
	// A clean kernel against one sending 2 % of requests to a removed pod.
	d := CompareRates("to_terminating", 0, 3000, 60, 3000)
	if !d.Significant || d.P > 1e-10 {
		t.Fatalf("0/3000 vs 60/3000 not significant: %+v", d)
	}
	statstest.Near(t, "shift against the floor", d.Shift, 0.02/RateFloor, 1e-9)
}

func TestRateFloorNearZero(t *testing.T) {
	// One stray request is neither significant nor an infinite shift.
	d := CompareRates("to_terminating", 0, 5000, 1, 5000)
	if d.Significant || math.IsInf(d.Shift, 0) {
		t.Fatalf("0 vs 1 in 5000: %+v", d)
	}
	statstest.Near(t, "p", d.P, 1, 1e-9)
}

func TestFewRepeatsNeverSignificant(t *testing.T) {
	// 3 vs 3 repeats: the smallest exact p is 0.1, whatever the shift.
	d := CompareMeans("p99", []float64{50, 55, 60}, []float64{1000, 1100, 1200}, P99FloorMs)
	statstest.Near(t, "p", d.P, 0.1, 1e-12)
	if d.Significant {
		t.Fatalf("3 vs 3 repeats significant: %+v", d)
	}
	// 5 vs 5 can: 2/252 < 0.01 (a 1 s SYN drop's worth of shift).
	d = CompareMeans("p99", []float64{50, 55, 60, 65, 70}, []float64{1000, 1100, 1200, 1300, 1400}, P99FloorMs)
	statstest.Near(t, "p 5v5", d.P, 2.0/252, 1e-12)
	if !d.Significant {
		t.Fatalf("5 vs 5 clear shift not significant: %+v", d)
	}
}

func TestDeterministic(t *testing.T) {
	a := latencies(5, 2000, 10)
	b := latencies(6, 2000, 11)
	d1 := CompareQuantile("p99", "records", a, b, 0.99, P99FloorMs)
	d2 := CompareQuantile("p99", "records", a, b, 0.99, P99FloorMs)
	if d1 != d2 {
		t.Fatalf("same inputs, different results: %+v vs %+v", d1, d2)
	}
	c1, c2 := stats.BootstrapQuantile(a, 0.99), stats.BootstrapQuantile(a, 0.99)
	if c1 != c2 {
		t.Fatalf("bootstrap not deterministic: %+v vs %+v", c1, c2)
	}
	if !(c1.Lo <= c1.Point && c1.Point <= c1.Hi) || c1.Lo == c1.Hi {
		t.Fatalf("bootstrap interval %+v does not bracket its point", c1)
	}
}
