package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Preset is a named cell list for the command line.
type Preset struct {
	Name  string
	Cells string
	Why   string
}

// Presets lists the presets in the order the help text names them; each is
// derived from the dimensions and release constants it covers.
func Presets() []Preset {
	var def []string
	for _, m := range ProxyModes() {
		if m == ModeIPVS {
			for _, r := range ReuseModes() {
				def = append(def, string(m)+":"+r)
			}
			continue
		}
		def = append(def, string(m))
	}
	return []Preset{
		{"default", strings.Join(def, ","), "every proxy mode, every conn_reuse_mode"},
		{"controls", "ipvs:0/nodest=0", "must show the bug on any kernel: without expire_nodest_conn, IPVS keeps sending reused ports to the old pod"},
		{"kube-proxy", "ipvs:kube-proxy:" + KubeProxyLegacy + ",ipvs:kube-proxy:" + KubeProxyCurrent, "what kube-proxy releases before and after PR 102122 do here (dataplane tier)"},
	}
}

func preset(name string) (string, bool) {
	for _, p := range Presets() {
		if p.Name == name {
			return p.Cells, true
		}
	}
	return "", false
}

// ParseSpecs turns a short command-line description into cells:
// comma-separated items "MODE[:REUSE][/KEY=VALUE...]" or preset names, e.g.
// "ipvs:0,ipvs:1/nodest=0,iptables" or "default,controls".
// Keys: nodest, rate, replicas, prestop, readiness, surge, unavailable,
// backend, timeout, ports, tier (dataplane|kube-proxy), k8s (a kube-proxy
// release; implies tier=kube-proxy).
func ParseSpecs(s string) ([]Cell, error) {
	var cells []Cell
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, ok := preset(item); ok {
			more, err := ParseSpecs(p)
			if err != nil {
				return nil, err
			}
			cells = append(cells, more...)
			continue
		}
		c, err := parseSpec(item)
		if err != nil {
			return nil, fmt.Errorf("cell %q: %w (want MODE[:REUSE][/KEY=VALUE...], MODE one of ipvs, iptables, nftables, or a preset: %s)", item, err, presetNames())
		}
		cells = append(cells, c)
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("no cells in %q", s)
	}
	seen := map[string]bool{}
	for i := range cells {
		cells[i] = cells[i].WithDefaults()
		if err := cells[i].Validate(); err != nil {
			return nil, fmt.Errorf("cell %s: %w", cells[i].Name, err)
		}
		if seen[cells[i].Name] {
			return nil, fmt.Errorf("cell %s given twice", cells[i].Name)
		}
		seen[cells[i].Name] = true
	}
	return cells, nil
}

func presetNames() string {
	var names []string
	for _, p := range Presets() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

func parseSpec(item string) (Cell, error) {
	head, opts, _ := strings.Cut(item, "/")
	mode, reuse, _ := strings.Cut(head, ":")
	pm, err := ParseProxyMode(mode)
	if err != nil {
		return Cell{}, err
	}
	c := Cell{ProxyMode: pm, ConnReuseMode: reuse}
	if pm != ModeIPVS && reuse != "" {
		return c, fmt.Errorf("conn_reuse_mode only applies to ipvs")
	}
	if opts == "" {
		return c, nil
	}
	for _, kv := range strings.Split(opts, "/") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return c, fmt.Errorf("option %q is not KEY=VALUE", kv)
		}
		if err := setOption(&c, k, v); err != nil {
			return c, fmt.Errorf("option %s: %w", k, err)
		}
	}
	return c, nil
}

func setOption(c *Cell, k, v string) error {
	dur := func(dst *Duration) error {
		d, err := time.ParseDuration(v)
		*dst = Duration(d)
		return err
	}
	switch k {
	case "nodest":
		n, err := strconv.Atoi(v)
		if err != nil || (n != 0 && n != 1) {
			return fmt.Errorf("want 0 or 1, got %q", v)
		}
		c.ExpireNodestConn = &n
	case "rate":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return fmt.Errorf("want a positive number, got %q", v)
		}
		c.Load.Rate = f
	case "replicas":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("want a positive integer, got %q", v)
		}
		c.Rollout.Replicas = n
	case "prestop":
		return dur(&c.Rollout.PreStop)
	case "readiness":
		return dur(&c.Rollout.ReadinessDelay)
	case "timeout":
		return dur(&c.Load.Timeout)
	case "surge":
		c.Rollout.MaxSurge = v
	case "unavailable":
		c.Rollout.MaxUnavailable = v
	case "backend":
		c.IPTablesBackend = IPTablesBackend(v)
	case "ports":
		c.Load.ClientPortRange = strings.ReplaceAll(v, "-", " ")
	case "tier":
		c.Tier = Tier(v)
	case "k8s":
		c.Tier, c.KubernetesVersion = TierKubeProxy, v
	default:
		return fmt.Errorf("unknown key (want nodest, rate, replicas, prestop, readiness, surge, unavailable, backend, timeout, ports, tier, k8s)")
	}
	return nil
}
