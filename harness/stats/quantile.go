package stats

import (
	"math"
	"slices"
)

// Quantile is the nearest-rank q-quantile (0 < q <= 1) of xs; xs is not
// modified. Nearest rank returns an observed value, as HDR histograms do.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	return selectK(s, rankIndex(len(s), q))
}

// QuantileStat is the nearest-rank q-quantile as a statistic for Bootstrap
// and PermutationTest: it reorders its argument instead of copying it.
func QuantileStat(q float64) func([]float64) float64 {
	return func(s []float64) float64 { return selectK(s, rankIndex(len(s), q)) }
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
