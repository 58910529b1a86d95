package runner

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/evlog"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/kubeproxy"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/proxy"
)

// programmerFor picks who programs the node: the dataplane tier's own
// proxy package, or the real kube-proxy fed through a real API server.
func programmerFor(c scenario.Cell, svc proxy.Service, res *scenario.CellResult, ev *evlog.Log, emit Emitter) proxy.Programmer {
	if c.Tier != scenario.TierKubeProxy {
		return programmer(c, svc, res.ConnReuse, ev)
	}
	kp := kubeproxy.New(kubeproxy.Config{
		Version: c.KubernetesVersion, Mode: c.ProxyMode, Dir: filepath.Join("/tmp", "k8s-"+c.Name),
		NodeIP: node.NodeIP, PodCIDR: "10.244.0.0/24", ClusterCIDR: node.ClusterCIDR,
		Logf: func(f string, a ...any) { emit.Logf("cell "+c.Name+": "+f, a...) },
	}, svc)
	return &kubeProxyTier{Programmer: kp, cell: c, svc: svc, res: res, emit: emit}
}

// kubeProxyTier adds to the kube-proxy programmer what the runner needs:
// the cell's by-hand sysctl overrides after kube-proxy set its own, and the
// record of what was in effect plus the fidelity check, filled into the
// result when the cell closes.
type kubeProxyTier struct {
	*kubeproxy.Programmer
	cell    scenario.Cell
	svc     proxy.Service
	res     *scenario.CellResult
	emit    Emitter
	snap    *kubeproxy.Snapshot // first read back, with the initial endpoints
	snapEps []proxy.Endpoint
	lastEps []proxy.Endpoint
}

func (t *kubeProxyTier) Setup() error {
	if err := t.Programmer.Setup(); err != nil {
		return err
	}
	// A fixed conn_reuse_mode or expire_nodest_conn in this tier is the
	// by-hand override of what kube-proxy set (it writes them once, at start).
	if t.cell.ProxyMode == scenario.ModeIPVS {
		if spec, _ := scenario.ParseConnReuseMode(t.cell.ConnReuseMode); spec.Kind == scenario.ReuseFixed {
			if err := node.SetSysctl("net/ipv4/vs/conn_reuse_mode", strconv.Itoa(t.res.ConnReuse.Value)); err != nil {
				return err
			}
			t.res.ConnReuse.Reason = "set by hand after kube-proxy started"
		}
		if n := t.cell.ExpireNodestConn; n != nil && *n != scenario.DefaultExpireNodest {
			if err := node.SetSysctl("net/ipv4/vs/expire_nodest_conn", strconv.Itoa(*n)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *kubeProxyTier) SetEndpoints(eps []proxy.Endpoint) error {
	t.lastEps = append([]proxy.Endpoint(nil), eps...)
	return t.Programmer.SetEndpoints(eps)
}

// ReadBack keeps the first dump (the runner reads back right after the
// initial endpoints) for the fidelity check.
func (t *kubeProxyTier) ReadBack() (string, string, string) {
	if t.snap == nil {
		t.snap = t.settledReadBack()
		t.snapEps = append([]proxy.Endpoint(nil), t.lastEps...)
		return t.snap.Rules, t.snap.IPVS, t.snap.IPSets
	}
	return t.Programmer.ReadBack()
}

// settledReadBack waits (up to 10 s) until two read-backs 300 ms apart are
// equal once normalised: kube-proxy writes IPVS servers before it syncs its
// ipsets, so the moment the IPVS table shows the endpoints can fall inside
// a sync (seen on 6.1: KUBE-LOOP-BACK one member short).
func (t *kubeProxyTier) settledReadBack() *kubeproxy.Snapshot {
	read := func() kubeproxy.Snapshot {
		rules, table, sets := t.Programmer.ReadBack()
		return kubeproxy.Snapshot{Rules: rules, IPVS: table, IPSets: sets}
	}
	prev := read()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		time.Sleep(300 * time.Millisecond)
		cur := read()
		if kubeproxy.Settled(t.cell.ProxyMode, prev, cur) {
			return &cur
		}
		prev = cur
	}
	t.emit.Logf("cell %s: kube-proxy's rules still changing after 10 s; comparing the last read-back", t.cell.Name)
	return &prev
}

// Close stops kube-proxy and the control plane, records what was in effect
// and runs the dataplane tier for the same endpoints to compare.
func (t *kubeProxyTier) Close() error {
	eff := &t.res.Effective
	if eff.Sysctls == nil {
		eff.Sysctls = map[string]string{}
	}
	if t.KP != nil {
		eff.Sysctls["kube-proxy:version"] = t.KP.Version
		eff.Sysctls["kube-proxy:proxyMode"] = t.KP.Effective.String()
		eff.Sysctls["kube-proxy:ready_s"] = fmt.Sprintf("%.3f", t.KP.ReadyAfter.Seconds())
	}
	if t.CP != nil {
		eff.Sysctls["kube-proxy:control_plane_ready_s"] = fmt.Sprintf("%.3f", t.CP.ReadyAfter.Seconds())
	}
	if n := len(t.Syncs); n > 0 {
		var sum, max time.Duration
		for _, d := range t.Syncs {
			sum += d
			max = maxDur(max, d)
		}
		eff.Sysctls["kube-proxy:endpoint_sync_mean_s"] = fmt.Sprintf("%.3f", (sum / time.Duration(n)).Seconds())
		eff.Sysctls["kube-proxy:endpoint_sync_max_s"] = fmt.Sprintf("%.3f", max.Seconds())
	}
	err := t.Programmer.Close()
	if t.snap != nil && t.res.Counts.Requests > 0 {
		f := t.fidelity()
		eff.Fidelity = &f
	}
	return err
}

// fidelity programs the same endpoints with the dataplane tier on a clean
// node and compares both read-backs.
func (t *kubeProxyTier) fidelity() scenario.Fidelity {
	fail := func(err error) scenario.Fidelity {
		return scenario.Fidelity{Mode: t.cell.ProxyMode, Error: err.Error()}
	}
	if err := node.Teardown(); err != nil {
		return fail(fmt.Errorf("teardown before dataplane run: %w", err))
	}
	if err := node.Setup(); err != nil {
		return fail(err)
	}
	c := t.cell
	c.Tier = scenario.TierDataplane
	// the dataplane tier writes what kube-proxy decided, so only the rules differ
	dp := programmer(c, t.svc, t.res.ConnReuse, &evlog.Log{})
	defer dp.Close()
	if err := dp.Setup(); err != nil {
		return fail(fmt.Errorf("dataplane setup: %w", err))
	}
	if err := dp.SetEndpoints(t.snapEps); err != nil {
		return fail(fmt.Errorf("dataplane endpoints: %w", err))
	}
	rules, table, sets := dp.ReadBack()
	f := kubeproxy.Compare(t.cell.ProxyMode, t.cell.KubernetesVersion, *t.snap, kubeproxy.Snapshot{Rules: rules, IPVS: table, IPSets: sets}, apiServerService())
	f.Endpoints = len(t.snapEps)
	f.KubeProxy, f.Model = t.cell.KubernetesVersion, scenario.DataplaneModel
	return f
}

// apiServerService names what only a real cluster has: the "kubernetes"
// Service (10.96.0.1:443 -> the node's :6443) that the API server creates.
func apiServerService() []string {
	return kubeproxy.ServicePort{Namespace: "default", Name: "kubernetes", PortName: "https", Protocol: "tcp",
		ClusterIP: "10.96.0.1", Endpoints: []string{"192.168.0.2:6443"}}.Ignores()
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
