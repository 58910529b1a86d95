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
