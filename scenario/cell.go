// Package scenario holds the settings of one rollout run (Cell), what it
// measured (CellResult) and the pure statistics both sides need. It is shared
// by the host harness and the in-guest runner, so it stays pure Go.
package scenario

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes "1.5s" in JSON.
type Duration time.Duration

func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration must be a string like \"1.5s\": %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// Cell is every setting of one run. Zero values mean "the default", which
// WithDefaults fills in; the result echoes the filled-in cell.
type Cell struct {
	// Name identifies the cell in results; stable across runs. Defaults to
	// DefaultName().
	Name      string    `json:"name,omitempty"`
	ProxyMode ProxyMode `json:"proxy_mode"`
	// ConnReuseMode: "0", "1", "2", "kernel-default" (leave as booted) or
	// "kube-proxy:<k8s version>" (what that release does on this kernel).
	ConnReuseMode string `json:"conn_reuse_mode,omitempty"`
	// ExpireNodestConn overrides net.ipv4.vs.expire_nodest_conn; kube-proxy sets 1.
	ExpireNodestConn *int `json:"expire_nodest_conn,omitempty"`
	// RSCheckInterval is how often a weight-0 IPVS real server is re-checked
	// for deletion (kube-proxy: 1 minute).
	RSCheckInterval Duration `json:"rs_check_interval,omitempty"`
	// IPTablesBackend carries kube-proxy's iptables rules in the iptables
	// and ipvs modes.
	IPTablesBackend IPTablesBackend `json:"iptables_backend,omitempty"`
	// Tier is who programs the node.
	Tier Tier `json:"tier,omitempty"`
	// KubernetesVersion is the kube-proxy release of the kube-proxy tier.
	KubernetesVersion string  `json:"kubernetes_version,omitempty"`
	Rollout           Rollout `json:"rollout"`
	Load              Load    `json:"load"`
}

// Rollout mirrors the Deployment fields that shape a rolling update.
type Rollout struct {
	Replicas       int    `json:"replicas,omitempty"`
	MaxSurge       string `json:"max_surge,omitempty"`       // "25%" or "1"
	MaxUnavailable string `json:"max_unavailable,omitempty"` // "25%" or "0"
	// ReadinessDelay is how long a new pod takes from start to Ready.
	ReadinessDelay Duration `json:"readiness_delay,omitempty"`
	// PreStop sleeps between endpoint removal and SIGTERM (default 0).
	PreStop                Duration `json:"pre_stop,omitempty"`
	TerminationGracePeriod Duration `json:"termination_grace_period,omitempty"`
}

// Load is the client's traffic.
type Load struct {
	// Rate is requests per second, open loop (ignored when ClosedLoop).
	Rate        float64 `json:"rate,omitempty"`
	ClosedLoop  bool    `json:"closed_loop,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	// ClientPortRange is the client netns's net.ipv4.ip_local_port_range.
	ClientPortRange string   `json:"client_port_range,omitempty"`
	Timeout         Duration `json:"timeout,omitempty"`
	WarmUp          Duration `json:"warm_up,omitempty"`
	CoolDown        Duration `json:"cool_down,omitempty"`
	// MaxDuration caps the whole load run (a safety net, not a target).
	MaxDuration Duration `json:"max_duration,omitempty"`
}

// Defaults, chosen so a cell finishes in well under 25 s under QEMU TCG.
const (
	DefaultReplicas        = 3
	DefaultMaxSurge        = "25%" // Kubernetes Deployment default
	DefaultMaxUnavailable  = "25%" // Kubernetes Deployment default
	DefaultReadinessDelay  = time.Second
	DefaultGracePeriod     = 30 * time.Second // Kubernetes default
	DefaultRSCheckInterval = time.Minute      // kube-proxy rsCheckDeleteInterval
	DefaultRate            = 100
	DefaultConcurrency     = 8
	DefaultPortRange       = "40000 40999"
	DefaultTimeout         = 3 * time.Second
	DefaultWarmUp          = 3 * time.Second
	DefaultCoolDown        = 5 * time.Second
	DefaultMaxDuration     = 60 * time.Second
	KindMaxDuration        = 15 * time.Minute // the kind tier's safety net (see WithDefaults)
	// KindMaxServerPods: server pods whose CPU requests fit the kind node
	// beside the client Pod's and the control plane's, terminating ones
	// included (the scheduler counts them until they are gone); see
	// KindServerPods and guest/kindtier/manifests.go.
	KindMaxServerPods   = 8
	DefaultExpireNodest = 1 // kube-proxy sets net/ipv4/vs/expire_nodest_conn=1
)

// KindServerPods bounds the server pods a rollout of replicas with surge
// has on the node at once: replicas+surge running and, in the worst case,
// every old pod still terminating.
func KindServerPods(replicas, surge int) int { return 2*replicas + surge }

// WithDefaults returns a copy with every unset field filled in.
func (c Cell) WithDefaults() Cell {
	if c.Tier == "" {
		c.Tier = TierDataplane
	}
	if c.Tier == TierKind && c.KubernetesVersion == "" {
		c.KubernetesVersion = KindKubernetesVersion
	}
	if c.Tier == TierKubeProxy || c.Tier == TierKind {
		if c.KubernetesVersion == "" {
			c.KubernetesVersion = DefaultKubernetesVersion
		}
		// The real kube-proxy decides the sysctl unless the cell overrides it.
		if c.ConnReuseMode == "" && c.ProxyMode != ModeIPTables && c.ProxyMode != ModeNFTables {
			c.ConnReuseMode = "kube-proxy:" + c.KubernetesVersion
		}
	}
	if c.ProxyMode == "" {
		c.ProxyMode = ModeIPVS
	}
	if c.ConnReuseMode == "" && c.ProxyMode == ModeIPVS {
		c.ConnReuseMode = "kernel-default"
	}
	if c.ProxyMode == ModeIPVS {
		if c.ExpireNodestConn == nil {
			v := DefaultExpireNodest
			c.ExpireNodestConn = &v
		}
		if c.RSCheckInterval == 0 {
			c.RSCheckInterval = Duration(DefaultRSCheckInterval)
		}
	}
	if c.IPTablesBackend == "" && c.ProxyMode != ModeNFTables {
		c.IPTablesBackend = BackendNFT
	}
	r := &c.Rollout
	if r.Replicas == 0 {
		r.Replicas = DefaultReplicas
	}
	if r.MaxSurge == "" {
		r.MaxSurge = DefaultMaxSurge
	}
	if r.MaxUnavailable == "" {
		r.MaxUnavailable = DefaultMaxUnavailable
	}
	if r.ReadinessDelay == 0 {
		r.ReadinessDelay = Duration(DefaultReadinessDelay)
	}
	if r.TerminationGracePeriod == 0 {
		r.TerminationGracePeriod = Duration(DefaultGracePeriod)
	}
	l := &c.Load
	if l.ClosedLoop {
		if l.Concurrency == 0 {
			l.Concurrency = DefaultConcurrency
		}
	} else if l.Rate == 0 {
		l.Rate = DefaultRate
	}
	if l.ClientPortRange == "" {
		l.ClientPortRange = DefaultPortRange
	}
	if l.Timeout == 0 {
		l.Timeout = Duration(DefaultTimeout)
	}
	if l.WarmUp == 0 {
		l.WarmUp = Duration(DefaultWarmUp)
	}
	if l.CoolDown == 0 {
		l.CoolDown = Duration(DefaultCoolDown)
	}
	if l.MaxDuration == 0 {
		l.MaxDuration = Duration(DefaultMaxDuration)
		if c.Tier == TierKind {
			// a real rollout under TCG takes minutes; the load stops when
			// the runner deletes the client Pod, this is only the safety net
			l.MaxDuration = Duration(KindMaxDuration)
		}
	}
	if c.Name == "" {
		c.Name = c.DefaultName()
	}
	return c
}

// DefaultName is a stable name built from the settings that matter most:
// "ipvs-reuse0", "ipvs-reuse1", "ipvs-kernel-default", "iptables", "nftables".
func (c Cell) DefaultName() string {
	if c.Tier == TierKind {
		d := c
		d.Tier = TierDataplane
		if d.ConnReuseMode == "kube-proxy:"+c.KubernetesVersion {
			d.ConnReuseMode = "" // what the node's kube-proxy does: the suffix says it
		}
		return strings.TrimSuffix(d.DefaultName(), "-kernel-default") + "-kind"
	}
	if c.Tier == TierKubeProxy {
		d := c
		d.Tier = TierDataplane
		if d.ConnReuseMode == "kube-proxy:"+c.KubernetesVersion {
			d.ConnReuseMode = "" // what that kube-proxy does: the suffix says it
		}
		n := strings.TrimSuffix(d.DefaultName(), "-kernel-default")
		return n + "-kp" + strings.TrimPrefix(c.KubernetesVersion, "v")
	}
	if c.ProxyMode != ModeIPVS {
		if c.IPTablesBackend == BackendLegacy {
			return string(c.ProxyMode) + "-legacy"
		}
		return string(c.ProxyMode)
	}
	n := "ipvs"
	switch m := c.ConnReuseMode; {
	case m == "0" || m == "1" || m == "2":
		n += "-reuse" + m
	case m == "" || m == "kernel-default":
		n += "-kernel-default"
	case strings.HasPrefix(m, "kube-proxy:"):
		n += "-kube-proxy-" + strings.TrimPrefix(m, "kube-proxy:")
	default:
		n += "-" + m
	}
	if c.ExpireNodestConn != nil && *c.ExpireNodestConn != DefaultExpireNodest {
		n += fmt.Sprintf("-nodest%d", *c.ExpireNodestConn)
	}
	if c.IPTablesBackend == BackendLegacy {
		n += "-legacy"
	}
	return n
}

// Validate reports settings that cannot be run.
func (c Cell) Validate() error {
	if err := c.ProxyMode.Valid(); err != nil {
		return err
	}
	if c.ProxyMode == ModeIPVS {
		if _, err := ParseConnReuseMode(c.ConnReuseMode); err != nil {
			return err
		}
	}
	if err := c.Tier.Valid(); err != nil {
		return err
	}
	if c.Tier == TierKubeProxy {
		if err := validKubernetesVersion(c.KubernetesVersion, c.ProxyMode); err != nil {
			return err
		}
	}
	if c.Tier == TierKind {
		if c.KubernetesVersion != KindKubernetesVersion {
			return fmt.Errorf("tier kind runs the node image's Kubernetes %s, not %q", KindKubernetesVersion, c.KubernetesVersion)
		}
		if c.IPTablesBackend == BackendLegacy {
			return fmt.Errorf("tier kind: the node's kube-proxy image uses iptables-nft; backend=legacy is for the other tiers")
		}
	}
	if c.ProxyMode != ModeNFTables {
		if err := c.IPTablesBackend.Valid(); err != nil {
			return err
		}
	}
	if c.Rollout.Replicas < 1 {
		return fmt.Errorf("replicas must be >= 1, got %d", c.Rollout.Replicas)
	}
	surge, _, err := ResolveRollingUpdate(c.Rollout.Replicas, c.Rollout.MaxSurge, c.Rollout.MaxUnavailable)
	if err != nil {
		return err
	}
	if n := KindServerPods(c.Rollout.Replicas, surge); c.Tier == TierKind && n > KindMaxServerPods {
		return fmt.Errorf("tier kind: 2*replicas+maxSurge = %d server pods may hold CPU requests at once (old ones still terminating); the kind node's 2 CPUs fit at most %d beside the client Pod and the control plane",
			n, KindMaxServerPods)
	}
	if c.Load.ClosedLoop && c.Load.Concurrency < 1 {
		return fmt.Errorf("closed loop needs concurrency >= 1")
	}
	if !c.Load.ClosedLoop && c.Load.Rate <= 0 {
		return fmt.Errorf("open loop needs rate > 0")
	}
	if _, _, err := ParsePortRange(c.Load.ClientPortRange); err != nil {
		return err
	}
	return nil
}

// ParsePortRange parses "40000 40999" (the sysctl's own format).
func ParsePortRange(s string) (lo, hi int, err error) {
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d %d", &lo, &hi); err != nil {
		return 0, 0, fmt.Errorf("port range %q: want \"LOW HIGH\": %w", s, err)
	}
	if lo < 1 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("port range %q out of order or bounds", s)
	}
	return lo, hi, nil
}

// ParseCells accepts either one cell object or an array of cells.
func ParseCells(raw []byte) ([]Cell, error) {
	raw = []byte(strings.TrimSpace(string(raw)))
	if len(raw) == 0 {
		return nil, fmt.Errorf("no cells given")
	}
	var cells []Cell
	if raw[0] == '{' {
		var c Cell
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("parse cell: %w", err)
		}
		cells = []Cell{c}
	} else if err := json.Unmarshal(raw, &cells); err != nil {
		return nil, fmt.Errorf("parse cells: %w", err)
	}
	seen := map[string]bool{}
	for i := range cells {
		cells[i] = cells[i].WithDefaults()
		if err := cells[i].Validate(); err != nil {
			return nil, fmt.Errorf("cell %d (%s): %w", i, cells[i].Name, err)
		}
		if seen[cells[i].Name] {
			return nil, fmt.Errorf("duplicate cell name %q", cells[i].Name)
		}
		seen[cells[i].Name] = true
	}
	return cells, nil
}
