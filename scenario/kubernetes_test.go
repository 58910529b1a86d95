package scenario

import (
	"strings"
	"testing"
)

func TestLegacyKubeProxyRunsAgainstCurrentAPIServer(t *testing.T) {
	cases := []struct {
		kubeProxy, apiServer string
		endpoints            bool
		flags                string
	}{
		{"v1.21.8", KubeProxyCurrent, true, "--feature-gates=EndpointSliceProxying=false"},
		{"v1.18.20", KubeProxyCurrent, true, "--feature-gates=EndpointSliceProxying=false"},
		{"v1.17.17", KubeProxyCurrent, true, ""},
		{"v1.22.0", "v1.22.0", false, ""},
		{"v1.34.2", "v1.34.2", false, ""},
	}
	for _, c := range cases {
		if got := APIServerVersion(c.kubeProxy); got != c.apiServer {
			t.Errorf("APIServerVersion(%s) = %s, want %s", c.kubeProxy, got, c.apiServer)
		}
		if got := ReadsEndpoints(c.kubeProxy); got != c.endpoints {
			t.Errorf("ReadsEndpoints(%s) = %v", c.kubeProxy, got)
		}
		if got := strings.Join(KubeProxyFlags(c.kubeProxy), " "); got != c.flags {
			t.Errorf("KubeProxyFlags(%s) = %q, want %q", c.kubeProxy, got, c.flags)
		}
	}
}

func TestNFTablesModeByRelease(t *testing.T) {
	if HasNFTablesMode(KubeProxyLegacy) || !HasNFTablesMode(KubeProxyCurrent) {
		t.Error("nftables mode availability wrong")
	}
	if _, err := ParseKubernetesRelease("1.34"); err == nil {
		t.Error("accepted a version without v and patch")
	}
}
