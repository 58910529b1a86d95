package report

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// compareRows orders the matrix: by tier in scenario's order (a tier it
// does not know, such as "mixed", after those, by name), then by kernel
// release, then by kernel name.
func compareRows(a, b *Row) int {
	return cmp.Or(
		compareTiers(a.Tier, b.Tier),
		compareReleases(a.Release, b.Release),
		strings.Compare(a.Kernel, b.Kernel),
	)
}

func compareTiers(a, b string) int {
	rank := func(t string) int {
		if i := slices.Index(scenario.Tiers(), scenario.Tier(t)); i >= 0 {
			return i
		}
		return len(scenario.Tiers())
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
}

// compareReleases orders "5.10.223" before "6.1.176" by version, then by
// text; a missing or unreadable release sorts last.
func compareReleases(a, b string) int {
	va, errA := scenario.ParseVersion(a)
	vb, errB := scenario.ParseVersion(b)
	switch {
	case errA != nil && errB != nil:
		return strings.Compare(a, b)
	case errA != nil:
		return 1
	case errB != nil:
		return -1
	}
	return cmp.Or(va.Compare(vb), strings.Compare(a, b))
}
