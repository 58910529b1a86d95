package scenario

import "fmt"

// validKubernetesVersion checks a kube-proxy tier release: an exact
// "v1.MINOR.PATCH" (binaries are built at that tag) that has the mode.
func validKubernetesVersion(v string, mode ProxyMode) error {
	if _, err := ParseKubernetesRelease(v); err != nil {
		return err
	}
	if mode == ModeNFTables && !HasNFTablesMode(v) {
		return fmt.Errorf("kube-proxy %s has no nftables mode (added in 1.29)", v)
	}
	return nil
}

// KubeProxyVersions lists the kube-proxy releases the cells need, in order.
func KubeProxyVersions(cells []Cell) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cells {
		c = c.WithDefaults()
		if c.Tier == TierKubeProxy && !seen[c.KubernetesVersion] {
			seen[c.KubernetesVersion] = true
			out = append(out, c.KubernetesVersion)
		}
	}
	return out
}

// Fidelity compares what the real kube-proxy programmed with what the
// dataplane tier programs for the same Service and endpoints.
type Fidelity struct {
	Mode      ProxyMode `json:"mode"`
	Endpoints int       `json:"endpoints"`
	// KubeProxy is the compared release, Model the one the dataplane tier models.
	KubeProxy string `json:"kube_proxy,omitempty"`
	Model     string `json:"model,omitempty"`
	// Compared counts normalised lines per dump ("rules", "ipvs", "ipsets").
	Compared map[string]int `json:"compared"`
	// Ignored counts lines about objects only the real cluster has (the
	// API server's own "kubernetes" Service).
	Ignored int `json:"ignored"`
	// IgnoredFor names what was ignored when it is not only the API
	// server's Service (kind: kube-dns too).
	IgnoredFor string `json:"ignored_for,omitempty"`
	// Differences nobody has explained: the dataplane tier is wrong there,
	// or the comparison is.
	Differences []string `json:"differences"`
	// Explained are differences with a known cause, as "difference: why".
	Explained []string `json:"explained,omitempty"`
	Error     string   `json:"error,omitempty"`
}
