package scenario

import (
	"strings"
	"testing"
)

func TestKubeProxyTierDefaultsAndNames(t *testing.T) {
	cells, err := ParseSpecs("ipvs/k8s=v1.34.2,ipvs:0/k8s=v1.21.8,iptables/tier=kube-proxy,ipvs")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cells {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "ipvs-kp1.34.2 ipvs-reuse0-kp1.21.8 iptables-kp1.34.2 ipvs-kernel-default" {
		t.Errorf("names: %s", got)
	}
	if c := cells[0]; c.Tier != TierKubeProxy || c.ConnReuseMode != "kube-proxy:v1.34.2" {
		t.Errorf("kube-proxy tier defaults: %+v", c)
	}
	if cells[3].Tier != TierDataplane {
		t.Errorf("default tier %q", cells[3].Tier)
	}
	if got := KubeProxyVersions(cells); strings.Join(got, ",") != "v1.34.2,v1.21.8" {
		t.Errorf("versions %v", got)
	}
}

func TestKubeProxyTierRejects(t *testing.T) {
	for _, spec := range []string{"nftables/k8s=v1.21.8", "ipvs/k8s=1.34", "ipvs/tier=kubelet"} {
		if _, err := ParseSpecs(spec); err == nil {
			t.Errorf("%s accepted", spec)
		}
	}
}

func TestKindTierDefaultsAndNames(t *testing.T) {
	cells, err := ParseSpecs("ipvs/tier=kind,ipvs:0/tier=kind,iptables/tier=kind,nftables/tier=kind")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cells {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "ipvs-kind ipvs-reuse0-kind iptables-kind nftables-kind" {
		t.Errorf("names: %s", got)
	}
	c := cells[0]
	// the node's own kube-proxy decides the sysctl unless the cell fixes it
	if c.Tier != TierKind || c.KubernetesVersion != KindKubernetesVersion || c.ConnReuseMode != "kube-proxy:"+KindKubernetesVersion {
		t.Errorf("kind tier defaults: %+v", c)
	}
	if c.Load.MaxDuration.D() != KindMaxDuration || cells[1].ConnReuseMode != "0" {
		t.Errorf("max duration %s, reuse %q", c.Load.MaxDuration.D(), cells[1].ConnReuseMode)
	}
	if len(KubeProxyVersions(cells)) != 0 {
		t.Error("kind cells need no kube-proxy tier binaries")
	}
	for _, spec := range []string{"ipvs/tier=kind/backend=legacy", "iptables/tier=kind/backend=legacy"} {
		if _, err := ParseSpecs(spec); err == nil || !strings.Contains(err.Error(), "iptables-nft") {
			t.Errorf("%s: %v", spec, err)
		}
	}
	bad := cells[0]
	bad.KubernetesVersion = "v1.21.8"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "node image") {
		t.Errorf("another release in kind: %v", err)
	}
	// server pods the kind node cannot fit are refused before any boot;
	// the other tiers have no such limit
	// (old pods still terminating count: 2*replicas+surge)
	if _, err := ParseSpecs("ipvs/tier=kind/replicas=4/surge=1"); err == nil || !strings.Contains(err.Error(), "at most 8") {
		t.Errorf("9 server pods in kind: %v", err)
	}
	if _, err := ParseSpecs("ipvs/tier=kind/replicas=3/surge=2"); err != nil {
		t.Errorf("8 server pods in kind: %v", err)
	}
	if _, err := ParseSpecs("ipvs/replicas=10/surge=1"); err != nil {
		t.Errorf("11 server pods in the dataplane tier: %v", err)
	}
}
