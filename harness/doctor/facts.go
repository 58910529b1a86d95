package doctor

import (
	"fmt"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// The sysctls kube-proxy cares about, as /proc/sys paths.
const (
	SysctlConnReuse       = "net/ipv4/vs/conn_reuse_mode"
	SysctlExpireNodest    = "net/ipv4/vs/expire_nodest_conn"
	SysctlExpireQuiescent = "net/ipv4/vs/expire_quiescent_template"
	SysctlVSConntrack     = "net/ipv4/vs/conntrack"
	SysctlIPForward       = "net/ipv4/ip_forward"
	SysctlTimeWait        = "net/netfilter/nf_conntrack_tcp_timeout_time_wait"
)

// Sysctls lists what doctor reads, in report order.
func Sysctls() []string {
	return []string{SysctlConnReuse, SysctlExpireNodest, SysctlExpireQuiescent, SysctlVSConntrack, SysctlIPForward, SysctlTimeWait}
}

// AbsentValue is how a report shows a sysctl that does not exist (ip_vs or
// nf_conntrack not loaded).
const AbsentValue = "absent"

// Facts are what doctor knows about the node: the input of Diagnose.
type Facts struct {
	KernelRelease    string            `json:"kernel_release"`              // uname -r
	KernelVersion    string            `json:"kernel_version,omitempty"`    // uname -v
	VersionSignature string            `json:"version_signature,omitempty"` // /proc/version_signature (Ubuntu)
	Sysctls          map[string]string `json:"sysctls"`                     // a missing key is absent
	// ProxyMode is empty when not known.
	ProxyMode        scenario.ProxyMode `json:"proxy_mode,omitempty"`
	ProxyModeFrom    string             `json:"proxy_mode_from,omitempty"`
	KubeProxyVersion string             `json:"kube_proxy_version,omitempty"` // "v1.34.2"
	KubeProxyFrom    string             `json:"kube_proxy_version_from,omitempty"`
	// Changelog holds claims found in the distribution's kernel changelog.
	Changelog     Claims `json:"changelog,omitempty"`
	ChangelogPath string `json:"changelog_path,omitempty"`
	// Notes are what collection could not find and why, for the report.
	Notes []string `json:"notes,omitempty"`
}

// Valid checks what Diagnose relies on.
func (f Facts) Valid() error {
	if f.KernelRelease == "" {
		return fmt.Errorf("facts: no kernel release")
	}
	if f.ProxyMode != "" {
		if err := f.ProxyMode.Valid(); err != nil {
			return fmt.Errorf("facts: %w", err)
		}
	}
	if f.KubeProxyVersion != "" {
		if _, err := scenario.ParseKubernetesVersion(f.KubeProxyVersion); err != nil {
			return fmt.Errorf("facts: kube-proxy version: %w", err)
		}
	}
	for _, c := range f.Changelog {
		if err := c.State.Valid(); err != nil {
			return fmt.Errorf("facts: changelog: %w", err)
		}
	}
	return nil
}

// Sysctl is the value of name, or AbsentValue.
func (f Facts) Sysctl(name string) string {
	if v, ok := f.Sysctls[name]; ok {
		return v
	}
	return AbsentValue
}
