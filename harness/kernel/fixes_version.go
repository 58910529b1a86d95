package kernel

import (
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/doctor"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// fixesByVersion says what the version number alone tells about the IPVS
// fixes in a plain upstream build of v (Ubuntu's mainline builds add no
// IPVS changes). The rules and the version table are doctor's
// (doctor.ClaimsByVersion, doctor.FixFacts): one table for the harness and
// for `rolloutlab doctor`. The returned source text says so per fix; none of
// it is verified.
func fixesByVersion(v kernelVersion) (scenario.FixSet, string) {
	claims := doctor.ClaimsByVersion(doctor.KernelVersion{Major: v.Major, Minor: v.Minor, Patch: v.Patch, RC: v.RC, PatchKnown: true})
	var since, why []string
	for _, f := range doctor.FixFacts() {
		since = append(since, string(f.ID)+" since "+f.Mainline)
	}
	for _, c := range claims {
		why = append(why, c.Reason)
	}
	src := "by version, not verified (upstream: " + strings.Join(since, ", ") + "; shared/domain.md): " + strings.Join(why, "; ")
	return claims.FixSet(), src
}
