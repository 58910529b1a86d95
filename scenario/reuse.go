package scenario

import (
	"fmt"
	"strconv"
	"strings"
)

// ConnReuseKind says how a cell decides net.ipv4.vs.conn_reuse_mode.
type ConnReuseKind string

const (
	ReuseFixed         ConnReuseKind = "fixed"          // write the given value
	ReuseKernelDefault ConnReuseKind = "kernel-default" // leave it as booted
	ReuseKubeProxy     ConnReuseKind = "kube-proxy"     // do what a kube-proxy release does
)

// ConnReuseSpec is a parsed Cell.ConnReuseMode.
type ConnReuseSpec struct {
	Kind       ConnReuseKind
	Value      int    // for ReuseFixed
	K8sVersion string // for ReuseKubeProxy
}

// ReuseModes are the fixed values of net.ipv4.vs.conn_reuse_mode, in the
// matrix's column order.
func ReuseModes() []string { return []string{"0", "1", "2"} }

// ParseConnReuseMode parses "0" | "1" | "2" | "kernel-default" | "kube-proxy:<version>".
func ParseConnReuseMode(s string) (ConnReuseSpec, error) {
	switch {
	case s == "" || s == "kernel-default":
		return ConnReuseSpec{Kind: ReuseKernelDefault}, nil
	case s == "0" || s == "1" || s == "2":
		v, _ := strconv.Atoi(s)
		return ConnReuseSpec{Kind: ReuseFixed, Value: v}, nil
	case strings.HasPrefix(s, "kube-proxy:"):
		v := strings.TrimPrefix(s, "kube-proxy:")
		if _, err := ParseKubernetesVersion(v); err != nil {
			return ConnReuseSpec{}, err
		}
		return ConnReuseSpec{Kind: ReuseKubeProxy, K8sVersion: v}, nil
	}
	return ConnReuseSpec{}, fmt.Errorf("conn_reuse_mode %q: want 0, 1, 2, kernel-default or kube-proxy:<version>", s)
}

// ConnReuseDecision is what the node programmer does with the sysctl.
type ConnReuseDecision struct {
	Set    bool   `json:"set"`             // false: leave the kernel's value
	Value  int    `json:"value,omitempty"` // written when Set
	Reason string `json:"reason"`
}

// Decide resolves the spec for the running kernel.
func (s ConnReuseSpec) Decide(kernelRelease string) (ConnReuseDecision, error) {
	switch s.Kind {
	case ReuseFixed:
		return ConnReuseDecision{Set: true, Value: s.Value, Reason: "fixed by cell"}, nil
	case ReuseKernelDefault:
		return ConnReuseDecision{Reason: "kernel default kept by cell"}, nil
	case ReuseKubeProxy:
		return KubeProxyConnReuse(s.K8sVersion, kernelRelease)
	}
	return ConnReuseDecision{}, fmt.Errorf("unknown conn reuse kind %q", s.Kind)
}

var (
	// connReuseMinSupportedKernelVersion in kube-proxy's ipvs proxier.
	kernelMinConnReuse = Version{4, 1, 0}
	// connReuseFixedKernelVersion: from here on kube-proxy (PR 102122) leaves the sysctl alone.
	kernelConnReuseFixed = Version{5, 9, 0}
)

// hasPR102122 reports whether a kube-proxy release carries kubernetes PR
// 102122 ("Don't set sysctl net.ipv4.vs.conn_reuse_mode for kernels >=5.9").
// It was first released in 1.22.0; its cherry-picks #107437 (release-1.20)
// and #107438 (release-1.21) shipped in 1.20.15 and 1.21.9 (January 2022):
// checked in the module zips, pkg/proxy/ipvs/proxier.go has
// connReuseFixedKernelVersion = "5.9" in v1.20.15 and v1.21.9, not in v1.21.8.
// 1.19 and older never got it.
func hasPR102122(k Version) bool {
	switch {
	case k[1] >= 22:
		return true
	case k[1] == 21:
		return k[2] >= 9
	case k[1] == 20:
		return k[2] >= 15
	}
	return false
}

// KubeProxyConnReuse is what kube-proxy <k8sVersion> in IPVS mode does with
// net.ipv4.vs.conn_reuse_mode on a kernel whose `uname -r` is kernelRelease.
// Like kube-proxy it looks only at the version string, not at the fixes the
// kernel actually carries.
//   - before 1.13 kube-proxy did not touch it (the sysctl write came with 1.13);
//   - below kernel 4.1 the sysctl does not exist: nothing is set;
//   - releases with PR 102122 leave it as-is on kernels >= 5.9 and set 0 below;
//   - older releases (1.13 up to 1.21.8 / 1.20.14) set 0 on every kernel >= 4.1.
func KubeProxyConnReuse(k8sVersion, kernelRelease string) (ConnReuseDecision, error) {
	k, err := ParseKubernetesVersion(k8sVersion)
	if err != nil {
		return ConnReuseDecision{}, err
	}
	kern, err := ParseVersion(kernelRelease)
	if err != nil {
		return ConnReuseDecision{}, fmt.Errorf("kernel release: %w", err)
	}
	if k[1] < 13 {
		return ConnReuseDecision{Reason: "kube-proxy before 1.13 did not set conn_reuse_mode"}, nil
	}
	if kern.Less(kernelMinConnReuse) {
		return ConnReuseDecision{Reason: "kernel below 4.1 has no conn_reuse_mode; kube-proxy skips it"}, nil
	}
	if hasPR102122(k) {
		if !kern.Less(kernelConnReuseFixed) {
			return ConnReuseDecision{Reason: "kube-proxy with PR 102122 leaves conn_reuse_mode as-is on kernel >= 5.9"}, nil
		}
		return ConnReuseDecision{Set: true, Value: 0, Reason: "kube-proxy with PR 102122 sets 0 on kernel < 5.9"}, nil
	}
	return ConnReuseDecision{Set: true, Value: 0, Reason: "kube-proxy without PR 102122 sets 0 on every kernel >= 4.1"}, nil
}
