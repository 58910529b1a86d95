package scenario

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is MAJOR.MINOR.PATCH; missing parts are 0. It is the one version
// type for kernel releases and Kubernetes releases on both sides of the VM.
type Version [3]int

func (v Version) Major() int { return v[0] }
func (v Version) Minor() int { return v[1] }

// Compare returns -1, 0 or 1 as v is older than, equal to or newer than o.
func (v Version) Compare(o Version) int {
	for i := range v {
		if v[i] != o[i] {
			if v[i] < o[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (v Version) Less(o Version) bool { return v.Compare(o) < 0 }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// ParseVersion reads the leading dotted numbers of s ("v1.21.9",
// "5.10.0-30-cloud-amd64", "6.12.43+deb13-cloud-amd64"), ignoring any
// suffix, as kube-proxy's version.ParseGeneric does for the kernel release.
func ParseVersion(s string) (Version, error) {
	var v Version
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	end := 0
	for end < len(t) && (t[end] == '.' || (t[end] >= '0' && t[end] <= '9')) {
		end++
	}
	parts := strings.Split(strings.Trim(t[:end], "."), ".")
	if end == 0 || len(parts) < 2 {
		return v, fmt.Errorf("version %q: want at least MAJOR.MINOR", s)
	}
	for i := 0; i < len(parts) && i < 3; i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return v, fmt.Errorf("version %q: %w", s, err)
		}
		v[i] = n
	}
	return v, nil
}

// ParseKubernetesVersion reads a Kubernetes release loosely ("1.21",
// "v1.21.8"); only 1.x exists.
func ParseKubernetesVersion(s string) (Version, error) {
	v, err := ParseVersion(s)
	if err != nil {
		return v, fmt.Errorf("kubernetes %w", err)
	}
	if v[0] != 1 {
		return v, fmt.Errorf("kubernetes version %q: only 1.x is known", s)
	}
	return v, nil
}

// ParseKubernetesRelease reads an exact release tag, "v1.34.2": binaries are
// built at that tag, so nothing looser will do.
func ParseKubernetesRelease(s string) (Version, error) {
	bad := fmt.Errorf("kubernetes version %q: want an exact release like %s", s, KubeProxyCurrent)
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if !strings.HasPrefix(s, "v") || len(parts) != 3 {
		return Version{}, bad
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return Version{}, bad
		}
	}
	return ParseKubernetesVersion(s)
}
