package doctor

import (
	"fmt"
	"regexp"
	"strconv"
)

// KernelVersion is an upstream version. PatchKnown is false when the patch
// level cannot be trusted (a distribution's "5.4.0-42-generic" says 0
// whatever stable release it is built from): then only the series counts.
type KernelVersion struct {
	Major, Minor, Patch int
	RC                  int // 0: a release
	PatchKnown          bool
}

// Valid rejects a version that names no release.
func (v KernelVersion) Valid() error {
	if v.Major <= 0 || v.Minor < 0 || v.Patch < 0 || v.RC < 0 || (v.RC > 0 && v.Patch > 0) {
		return fmt.Errorf("kernel version %d.%d.%d-rc%d is not a release", v.Major, v.Minor, v.Patch, v.RC)
	}
	return nil
}

func (v KernelVersion) String() string {
	s := v.Series()
	switch {
	case v.RC > 0:
		return fmt.Sprintf("%s-rc%d", s, v.RC)
	case !v.PatchKnown:
		return s + ".x"
	case v.Patch > 0:
		return fmt.Sprintf("%s.%d", s, v.Patch)
	}
	return s
}

// Series is "major.minor".
func (v KernelVersion) Series() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

func (v KernelVersion) seriesCmp(s string) int {
	o, ok := parseSeries(s)
	if !ok {
		return 0
	}
	switch {
	case v.Major != o[0]:
		return sign(v.Major - o[0])
	case v.Minor != o[1]:
		return sign(v.Minor - o[1])
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

var seriesRE = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?$`)

// parseSeries reads "5.9" or "5.8.2" as [major minor patch].
func parseSeries(s string) ([3]int, bool) {
	m := seriesRE.FindStringSubmatch(s)
	if m == nil {
		return [3]int{}, false
	}
	var out [3]int
	for i := 1; i <= 3; i++ {
		if m[i] != "" {
			out[i-1], _ = strconv.Atoi(m[i])
		}
	}
	return out, true
}

// Upstream is the version a node's kernel is built from and how that was found.
type Upstream struct {
	Version KernelVersion `json:"-"`
	Text    string        `json:"version"` // "6.1.115", "5.4.x", "" when unknown
	From    string        `json:"from"`
}

var (
	exactRE    = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?(?:-rc(\d+))?$`)
	mainlineRE = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)-(\d{6})(?:rc(\d+))?-[a-z]+$`) // kernel.ubuntu.com mainline builds
	debianRE   = regexp.MustCompile(`\bDebian (\d+)\.(\d+)\.(\d+)-`)
	ubuntuRE   = regexp.MustCompile(`^Ubuntu \S+ (\d+)\.(\d+)\.(\d+)\s*$`)
	prefixRE   = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?[-+._~]`)
)

// UpstreamOf finds the upstream version of a running kernel from its
// `uname -r`, `uname -v` (Debian writes its package version there) and
// /proc/version_signature (Ubuntu writes the upstream version there).
func UpstreamOf(release, unameV, signature string) (Upstream, bool) {
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	if m := ubuntuRE.FindStringSubmatch(signature); m != nil {
		return upstream(KernelVersion{num(m[1]), num(m[2]), num(m[3]), 0, true}, "Ubuntu /proc/version_signature"), true
	}
	if m := debianRE.FindStringSubmatch(unameV); m != nil {
		return upstream(KernelVersion{num(m[1]), num(m[2]), num(m[3]), 0, true}, "Debian package version in uname -v"), true
	}
	if m := exactRE.FindStringSubmatch(release); m != nil {
		return upstream(KernelVersion{num(m[1]), num(m[2]), num(m[3]), num(m[4]), true}, "uname -r names a plain upstream release"), true
	}
	if m := mainlineRE.FindStringSubmatch(release); m != nil {
		return upstream(KernelVersion{num(m[1]), num(m[2]), num(m[3]), num(m[5]), true}, "uname -r of a kernel.ubuntu.com mainline build"), true
	}
	if m := prefixRE.FindStringSubmatch(release); m != nil {
		return upstream(KernelVersion{Major: num(m[1]), Minor: num(m[2])},
			"uname -r of a distribution or custom build: only the series is known, not its patch level or backports"), true
	}
	return Upstream{From: fmt.Sprintf("uname -r %q names no Linux version", release)}, false
}

func upstream(v KernelVersion, from string) Upstream {
	return Upstream{Version: v, Text: v.String(), From: from}
}
