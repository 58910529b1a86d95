package doctor

import (
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// TestFixFactsMatchDomain holds the table to every fact shared/domain.md gives.
func TestFixFactsMatchDomain(t *testing.T) {
	want := map[scenario.Fix]struct {
		commit, title, mainline string
		stable                  map[string]string
	}{
		"A": {"f0a5e4d7a594", "ipvs: allow connection reuse for unconfirmed conntrack", "5.9", map[string]string{"5.8": "5.8.2", "5.7": "", "4.14": ""}},
		"B": {"35dfb013149f", "ipvs: queue delayed work to expire no destination connections if expire_nodest_conn=1", "5.9", map[string]string{}},
		"C": {"c95c07836fa4", "netfilter: ipvs: Fix reuse connection if RS weight is 0", "5.16", map[string]string{"5.15": "", "5.4": "", "4.19": "", "4.14": ""}},
	}
	facts := FixFacts()
	if len(facts) != len(want) {
		t.Fatalf("%d fixes, want %d", len(facts), len(want))
	}
	for _, f := range facts {
		w := want[f.ID]
		if f.Commit != w.commit || f.Title != w.title || f.Mainline != w.mainline {
			t.Errorf("%s: %s %q %s, want %s %q %s", f.ID, f.Commit, f.Title, f.Mainline, w.commit, w.title, w.mainline)
		}
		if len(f.Stable) != len(w.stable) {
			t.Errorf("%s: stable %v, want %v", f.ID, f.Stable, w.stable)
		}
		for _, b := range f.Stable {
			p, ok := w.stable[b.Series]
			if !ok || p != b.FirstPoint {
				t.Errorf("%s: stable %s first %q, want %q (listed %v)", f.ID, b.Series, b.FirstPoint, p, ok)
			}
			if p == "" && b.Point() != UnknownPoint {
				t.Errorf("%s %s: prints %q, want %q", f.ID, b.Series, b.Point(), UnknownPoint)
			}
		}
	}
}

// TestClaimsByVersion covers every row: mainline, each stable series (a
// known point release decides, an unknown one never guesses), rc and
// distribution kernels.
func TestClaimsByVersion(t *testing.T) {
	kv := func(maj, min, patch int) KernelVersion { return KernelVersion{maj, min, patch, 0, true} }
	tests := []struct {
		v       KernelVersion
		a, b, c State
	}{
		{kv(5, 9, 0), Present, Present, Absent},
		{kv(5, 16, 0), Present, Present, Present},
		{kv(6, 1, 0), Present, Present, Present},
		{KernelVersion{5, 16, 0, 3, true}, Present, Present, Unknown},
		{KernelVersion{5, 9, 0, 2, true}, Unknown, Unknown, Absent},
		{kv(5, 8, 2), Present, Unknown, Unknown},
		{kv(5, 8, 1), Absent, Unknown, Unknown},
		{kv(5, 8, 0), Absent, Absent, Absent},
		{kv(5, 7, 10), Unknown, Unknown, Unknown},
		{kv(4, 14, 300), Unknown, Unknown, Unknown},
		{kv(5, 15, 80), Present, Present, Unknown},
		{kv(5, 4, 100), Unknown, Unknown, Unknown},
		{kv(4, 19, 220), Unknown, Unknown, Unknown},
		{kv(5, 4, 0), Absent, Absent, Absent},
		{kv(5, 10, 223), Present, Present, Unknown}, // 5.10 is in no stable list of C
		{KernelVersion{Major: 5, Minor: 4}, Unknown, Unknown, Unknown},
		{KernelVersion{Major: 6, Minor: 1}, Present, Present, Present},
	}
	for _, tt := range tests {
		cs := ClaimsByVersion(tt.v)
		for i, want := range []State{tt.a, tt.b, tt.c} {
			if cs[i].State != want {
				t.Errorf("%s: %s %s (%s), want %s", tt.v, cs[i].Fix, cs[i].State, cs[i].Reason, want)
			}
		}
	}
	if r := ClaimsByVersion(kv(5, 4, 100)).Get(scenario.FixC).Reason; !strings.Contains(r, UnknownPoint) {
		t.Errorf("5.4.100 C: %q does not say %q", r, UnknownPoint)
	}
}

// TestKubeProxyPoliciesMatchReuse checks the printed policy against the
// decision the harness uses (scenario.KubeProxyConnReuse).
func TestKubeProxyPoliciesMatchReuse(t *testing.T) {
	for _, tt := range []struct {
		k8s, kernel string
		set         bool
	}{
		{"v1.22.0", "5.10.0", false}, {"v1.21.9", "5.10.0", false}, {"v1.20.15", "5.10.0", false},
		{"v1.21.8", "5.10.0", true}, {"v1.20.14", "5.10.0", true}, {"v1.19.16", "6.1.0", true},
		{"v1.22.0", "5.4.0", true},
	} {
		d, err := scenario.KubeProxyConnReuse(tt.k8s, tt.kernel)
		if err != nil || d.Set != tt.set {
			t.Errorf("%s on %s: %+v %v, want set=%v", tt.k8s, tt.kernel, d, err, tt.set)
		}
	}
	firsts := map[string]bool{}
	for _, p := range KubeProxyPolicies() {
		firsts[p.First] = true
	}
	for _, v := range []string{"1.22.0", "1.21.9", "1.20.15"} {
		if !firsts[v] {
			t.Errorf("PR 102122 release %s missing from the table", v)
		}
	}
}

func TestUpstreamOf(t *testing.T) {
	for _, tt := range []struct{ rel, unameV, sig, want string }{
		{"6.1.0-50-cloud-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2025-01-01)", "", "6.1.176"},
		{"5.4.0-42-generic", "#46-Ubuntu SMP", "Ubuntu 5.4.0-42.46-generic 5.4.44", "5.4.44"},
		{"5.10.223", "", "", "5.10.223"},
		{"6.13.0-061300rc2-generic", "", "", "6.13-rc2"},
		{"5.4.0-050400-generic", "", "", "5.4"},
		{"5.4.0-42-generic", "#46-Ubuntu SMP", "", "5.4.x"},
		{"6.18.44-fc-v1098", "", "", "6.18.x"},
	} {
		u, ok := UpstreamOf(tt.rel, tt.unameV, tt.sig)
		if !ok || u.Text != tt.want {
			t.Errorf("%q: %q %v (%s), want %q", tt.rel, u.Text, ok, u.From, tt.want)
		}
	}
	if _, ok := UpstreamOf("banana", "", ""); ok {
		t.Error("banana parsed")
	}
}

func TestChangelogClaims(t *testing.T) {
	text := []byte(`linux (5.10.84-1) unstable; urgency=medium
    - netfilter: ipvs: Fix reuse connection if RS weight is 0
    - Revert "ipvs: allow connection reuse for unconfirmed conntrack"
`)
	cs := ChangelogClaims(text, "changelog.Debian.gz")
	if len(cs) != 1 || cs[0].Fix != scenario.FixC || cs[0].State != Present || cs[0].Source != ByChangelog {
		t.Errorf("claims %+v, want only C present by changelog", cs)
	}
}
