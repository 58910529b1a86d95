package stats

import (
	"math"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/stats/statstest"
)

func TestWilsonKnownValues(t *testing.T) {
	// Reference values: Wilson score interval, z = 1.96 (Newcombe 1998, table I).
	w := Wilson(0, 10)
	statstest.Near(t, "Wilson(0,10).Lo", w.Lo, 0, 1e-12)
	statstest.Near(t, "Wilson(0,10).Hi", w.Hi, 0.2775, 1e-4)
	w = Wilson(5, 10)
	statstest.Near(t, "Wilson(5,10).Lo", w.Lo, 0.2366, 1e-4)
	statstest.Near(t, "Wilson(5,10).Hi", w.Hi, 0.7634, 1e-4)
	if w := Wilson(0, 0); !math.IsNaN(w.Point) {
		t.Errorf("Wilson(0,0) = %+v, want NaN", w)
	}
}

func TestFisherExactTeaTasting(t *testing.T) {
	// Fisher's lady tasting tea: 3 of 4 vs 1 of 4, two-sided p = 34/70.
	statstest.Near(t, "p", FisherExact(3, 4, 1, 4), 34.0/70, 1e-9)
	statstest.Near(t, "identical tables", FisherExact(2, 10, 2, 10), 1, 1e-9)
}

func TestPermutationExactEnumeration(t *testing.T) {
	// 20 splits of 6 values into 3+3; only the observed split and its
	// mirror reach |mean difference| = 3, so p = 2/20.
	p := PermutationTest([]float64{1, 2, 3}, []float64{4, 5, 6}, Mean)
	statstest.Near(t, "p", p, 0.1, 1e-12)
}

func TestQuantileNearestRank(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	statstest.Near(t, "p50", Quantile(xs, 0.5), 5, 0)
	statstest.Near(t, "p99", Quantile(xs, 0.99), 10, 0)
	statstest.Near(t, "p10", Quantile(xs, 0.10), 1, 0)
	if xs[0] != 5 {
		t.Fatal("Quantile reordered its input")
	}
}
