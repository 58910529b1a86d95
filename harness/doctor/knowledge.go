// Package doctor answers an operator's question about one node: does a
// rollout lose connections here (kubernetes#81775, the 1 s SYN drop)? It
// holds the one table of IPVS fix versions (harness/kernel reads it too),
// collects the node's facts read-only, and turns facts (plus, with
// --probe, measurements) into a report by a pure function.
package doctor

import "github.com/rolloutlab/rolloutlab/scenario"

// StableBackport is a stable series that took a fix. FirstPoint is the
// first point release carrying it ("5.8.2"); empty means shared/domain.md
// names the series but no point release, so a kernel of that series is
// "unknown", never guessed.
type StableBackport struct {
	Series     string `json:"series"`
	FirstPoint string `json:"first_point,omitempty"`
}

// FixFact is what is known about one IPVS fix (shared/domain.md).
type FixFact struct {
	ID       scenario.Fix     `json:"id"`
	Commit   string           `json:"commit"`
	Title    string           `json:"title"`
	Mainline string           `json:"mainline"` // first mainline release, "5.9"
	Stable   []StableBackport `json:"stable,omitempty"`
	Fixes    string           `json:"fixes"`
	Note     string           `json:"note,omitempty"`
}

// UnknownPoint is how the table prints a series without a known point release.
const UnknownPoint = "unknown point release"

// Point is FirstPoint, or UnknownPoint when domain.md gives none.
func (b StableBackport) Point() string {
	if b.FirstPoint == "" {
		return UnknownPoint
	}
	return b.FirstPoint
}

// FixFacts is the table: the only place the harness keeps IPVS fix versions.
func FixFacts() []FixFact {
	return []FixFact{
		{ID: scenario.FixA, Commit: "f0a5e4d7a594", Title: "ipvs: allow connection reuse for unconfirmed conntrack",
			Mainline: "5.9", Stable: []StableBackport{{"5.8", "5.8.2"}, {"5.7", ""}, {"4.14", ""}},
			Fixes: "the 1 s SYN drop with conn_reuse_mode=1 (and 2)",
			Note:  "apparently also in later 4.19 and 5.4 stable releases, not verified: not claimed"},
		{ID: scenario.FixB, Commit: "35dfb013149f", Title: "ipvs: queue delayed work to expire no destination connections if expire_nodest_conn=1",
			Mainline: "5.9", Fixes: "connections to a deleted real server are expired and rescheduled",
			Note: "nf-next hash 04231e52d355; no stable backport recorded"},
		{ID: scenario.FixC, Commit: "c95c07836fa4", Title: "netfilter: ipvs: Fix reuse connection if RS weight is 0",
			Mainline: "5.16", Stable: []StableBackport{{"5.15", ""}, {"5.4", ""}, {"4.19", ""}, {"4.14", ""}},
			Fixes: "conn_reuse_mode=0 with expire_nodest_conn=1: a reused port of a weight-0 server is rescheduled (81775)"},
	}
}

// FixFactFor returns the table row of f.
func FixFactFor(f scenario.Fix) (FixFact, bool) {
	for _, ff := range FixFacts() {
		if ff.ID == f {
			return ff, true
		}
	}
	return FixFact{}, false
}

// KubeProxyPolicy is one kube-proxy release line's handling of
// conn_reuse_mode; the decision itself is scenario.KubeProxyConnReuse.
type KubeProxyPolicy struct {
	Line   string `json:"line"`            // "1.21"
	First  string `json:"first,omitempty"` // first release with PR 102122 ("1.21.9"); empty: never
	Policy string `json:"policy"`
}

// KubeProxyPolicies are kubernetes PR 102122's releases (shared/domain.md,
// scenario/reuse.go): it leaves conn_reuse_mode as-is on kernels >= 5.9.
func KubeProxyPolicies() []KubeProxyPolicy {
	const with = "leaves conn_reuse_mode as-is (kernel default 1) on kernels >= 5.9, sets 0 below"
	const without = "sets conn_reuse_mode=0 on every kernel >= 4.1"
	return []KubeProxyPolicy{
		{Line: ">= 1.22", First: "1.22.0", Policy: with},
		{Line: "1.21", First: "1.21.9", Policy: with + "; 1.21.0-1.21.8 " + without},
		{Line: "1.20", First: "1.20.15", Policy: with + "; 1.20.0-1.20.14 " + without},
		{Line: "1.13-1.19", Policy: without + " (never got PR 102122)"},
		{Line: "< 1.13", Policy: "does not touch conn_reuse_mode"},
	}
}

// KubeProxySysctls are what kube-proxy in IPVS mode writes besides
// conn_reuse_mode (shared/domain.md).
func KubeProxySysctls() map[string]string {
	return map[string]string{
		SysctlVSConntrack: "1", SysctlExpireNodest: "1", SysctlExpireQuiescent: "1", SysctlIPForward: "1",
	}
}
