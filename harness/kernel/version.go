package kernel

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// kernelVersion is an upstream Linux version as users type it and as
// Ubuntu's mainline directories name it: MAJOR.MINOR[.PATCH][-rcN].
type kernelVersion struct {
	Major, Minor, Patch int
	RC                  int // 0: a release, not a release candidate
}

// No leading zeros: "5.09" would name the same directory as "5.9" only by
// accident of parsing.
var versionRE = regexp.MustCompile(`^v?(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})(?:\.(0|[1-9][0-9]{0,3}))?(?:-rc([1-9][0-9]?))?$`)

// parseVersion accepts "5.9", "4.19.220", "6.13-rc2" (and a leading "v",
// as Ubuntu's directories are named). A stable point release has no rc.
func parseVersion(s string) (kernelVersion, bool) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return kernelVersion{}, false
	}
	num := func(s string) int { n, _ := strconv.Atoi(s); return n } // the pattern admits digits only
	v := kernelVersion{Major: num(m[1]), Minor: num(m[2]), Patch: num(m[3]), RC: num(m[4])}
	if v.RC > 0 && v.Patch > 0 {
		return kernelVersion{}, false
	}
	return v, true
}

// String is the canonical form users type: "5.9", "4.19.220", "6.13-rc2".
func (v kernelVersion) String() string {
	s := v.Series()
	if v.Patch > 0 {
		s += "." + strconv.Itoa(v.Patch)
	}
	if v.RC > 0 {
		s += "-rc" + strconv.Itoa(v.RC)
	}
	return s
}

// Series is MAJOR.MINOR.
func (v kernelVersion) Series() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Dir is Ubuntu mainline's directory for v: "v5.9", "v6.13-rc2".
func (v kernelVersion) Dir() string { return "v" + v.String() }

// Release is what `make kernelversion` prints: "5.9.0", "6.13.0-rc2".
func (v kernelVersion) Release() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.RC > 0 {
		s += "-rc" + strconv.Itoa(v.RC)
	}
	return s
}

// unamePrefix starts every `uname -r` a build of v reports
// ("6.13.0-061300rc2-generic" for 6.13-rc2).
func (v kernelVersion) unamePrefix() string {
	return fmt.Sprintf("%d.%d.%d-", v.Major, v.Minor, v.Patch)
}

// seriesBefore reports whether v's series is older than major.minor.
func (v kernelVersion) seriesBefore(major, minor int) bool {
	return v.Major < major || (v.Major == major && v.Minor < minor)
}

// lastMinor is the last series of the major lines that are closed for sure
// (3.19, 4.20, 5.19); ok is false for lines this code cannot vouch for.
func lastMinor(major int) (minor int, ok bool) {
	switch major {
	case 3:
		return 19, true
	case 4:
		return 20, true
	case 5:
		return 19, true
	}
	return 0, false
}

// plausible says why v is not worth asking a mirror for, or "" if it is.
// It runs offline, so a typo fails at once instead of after a network
// round trip. maxMajor is the newest major line the catalog knows.
func (v kernelVersion) plausible(maxMajor int) string {
	if v.Major < 3 || v.Major > maxMajor+1 {
		return fmt.Sprintf("%s is not a Linux release this harness tries upstream (majors 3 to %d)", v, maxMajor+1)
	}
	if last, ok := lastMinor(v.Major); ok && v.Minor > last {
		return fmt.Sprintf("%s is not a Linux release (the %d.x line ended at %d.%d)", v, v.Major, v.Major, last)
	}
	return ""
}

// maxCatalogMajor is the newest major line among the catalog's releases.
func (c *Catalog) maxCatalogMajor() int {
	max := 0
	for _, e := range c.Kernels {
		if maj, _, ok := strings.Cut(e.Release, "."); ok {
			if n, err := strconv.Atoi(maj); err == nil && n > max {
				max = n
			}
		}
	}
	return max
}
