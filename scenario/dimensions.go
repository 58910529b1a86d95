package scenario

import "github.com/rolloutlab/rolloutlab/enum"

// ProxyMode is kube-proxy's --proxy-mode: how Service traffic is steered.
type ProxyMode string

const (
	ModeIPVS     ProxyMode = "ipvs"
	ModeIPTables ProxyMode = "iptables"
	ModeNFTables ProxyMode = "nftables"
)

// ProxyModes lists every mode in the matrix's column order.
func ProxyModes() []ProxyMode { return []ProxyMode{ModeIPVS, ModeIPTables, ModeNFTables} }

func (m ProxyMode) String() string { return string(m) }

// Valid reports whether m is a mode this harness can run.
func (m ProxyMode) Valid() error { return enum.Check("proxy mode", m, ProxyModes()) }

// ParseProxyMode reads a mode as users type it.
func ParseProxyMode(s string) (ProxyMode, error) {
	m := ProxyMode(s)
	return m, m.Valid()
}

// Tier is who programs the node's Service dataplane.
type Tier string

const (
	// TierDataplane: the harness, exactly as kube-proxy would.
	TierDataplane Tier = "dataplane"
	// TierKubeProxy: the real kube-proxy binary fed by a real API server.
	TierKubeProxy Tier = "kube-proxy"
	// TierKind: a real kind cluster in the guest, a real Deployment rolled
	// with kubectl rollout restart, the load from a client Pod.
	TierKind Tier = "kind"
)

// Tiers lists the tiers in the matrix's row order.
func Tiers() []Tier { return []Tier{TierDataplane, TierKubeProxy, TierKind} }

func (t Tier) String() string { return string(t) }

func (t Tier) Valid() error { return enum.Check("tier", t, Tiers()) }

// ParseTier reads a tier as users type it.
func ParseTier(s string) (Tier, error) {
	t := Tier(s)
	return t, t.Valid()
}

// IPTablesBackend is the iptables flavour that carries kube-proxy's rules in
// the iptables and ipvs modes.
type IPTablesBackend string

const (
	BackendNFT    IPTablesBackend = "nft"    // Debian's default iptables (iptables-nft)
	BackendLegacy IPTablesBackend = "legacy" // iptables-legacy (x_tables)
)

func IPTablesBackends() []IPTablesBackend { return []IPTablesBackend{BackendNFT, BackendLegacy} }

func (b IPTablesBackend) String() string { return string(b) }

func (b IPTablesBackend) Valid() error { return enum.Check("iptables backend", b, IPTablesBackends()) }
