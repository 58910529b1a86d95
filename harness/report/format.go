package report

import (
	"fmt"
	"math"

	"github.com/rolloutlab/rolloutlab/harness/stats"
)

// The numbers as both renderings print them; NaN (no data) is "–".

func ms(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.1f ms", v)
}

func msCI(i stats.Interval) string {
	if math.IsNaN(i.Point) {
		return "–"
	}
	return fmt.Sprintf("%.1f ms [%.1f, %.1f]", i.Point, i.Lo, i.Hi)
}

func rate(k int, i stats.Interval) string {
	if math.IsNaN(i.Point) {
		return "–"
	}
	return fmt.Sprintf("%d (%.2f %% [%.2f, %.2f])", k, 100*i.Point, 100*i.Lo, 100*i.Hi)
}
