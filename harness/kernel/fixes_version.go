package kernel

import (
	"fmt"
	"strings"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// upstreamFix is the first mainline series carrying a fix (shared/domain.md).
type upstreamFix struct {
	id           scenario.Fix
	major, minor int
}

func upstreamFixes() []upstreamFix {
	return []upstreamFix{{scenario.FixA, 5, 9}, {scenario.FixB, 5, 9}, {scenario.FixC, 5, 16}}
}

// fixesByVersion says what the version number alone tells about the IPVS
// fixes in a plain upstream build of v (Ubuntu's mainline builds add no
// IPVS changes). Only what follows from the number is claimed:
//   - a release of the fix's series or later, or any rc of a later series:
//     present;
//   - a mainline release or rc (no patch level) of an older series: absent,
//     the fix reached mainline later;
//   - a stable point release of an older series (stable backports: A went
//     to 4.14, 5.7, 5.8, C to 4.14, 4.19, 5.4, 5.15), or an rc of the fix's
//     own series (which rc took it is not recorded): unknown, left out of
//     the map.
//
// The returned source text says so per fix; none of it is verified.
func fixesByVersion(v kernelVersion) (scenario.FixSet, string) {
	fixes := scenario.FixSet{}
	var since, why []string
	for _, f := range upstreamFixes() {
		rel := fmt.Sprintf("%d.%d", f.major, f.minor)
		since = append(since, string(f.id)+" since "+rel)
		switch {
		case !v.seriesBefore(f.major, f.minor) && !(v.Series() == rel && v.RC > 0):
			fixes[f.id] = true
			why = append(why, fmt.Sprintf("%s present (%s is %s or later)", f.id, v, rel))
		case v.seriesBefore(f.major, f.minor) && v.Patch == 0:
			fixes[f.id] = false
			why = append(why, fmt.Sprintf("%s absent (%s is a mainline release before %s)", f.id, v, rel))
		case v.seriesBefore(f.major, f.minor):
			why = append(why, fmt.Sprintf("%s unknown (%s is a stable release before %s: backports cannot be told from the version)", f.id, v, rel))
		default:
			why = append(why, fmt.Sprintf("%s unknown (%s is a release candidate of %s: which rc took it is not recorded)", f.id, v, rel))
		}
	}
	src := fmt.Sprintf("by version, not verified (upstream: %s; shared/domain.md): %s",
		strings.Join(since, ", "), strings.Join(why, "; "))
	return fixes, src
}
