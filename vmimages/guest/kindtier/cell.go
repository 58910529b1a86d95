package kindtier

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/kubeproxy"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/mono"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/procfs"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/proxy"
	"github.com/rolloutlab/rolloutlab/wire"
)

// Emitter is what a cell hands its progress and files to (runner.Emitter).
type Emitter interface {
	Logf(format string, args ...any)
	File(name string, data []byte) error
}

// Session is one kind tier cell's cluster: created once by Start in the
// cell's mode, measured by Measure (a second time when the first attempt's
// load fell behind its schedule: the retry reuses the cluster instead of
// paying ~30 min under TCG for a new one) and deleted by Close.
type Session struct {
	k     *kindCell
	start time.Time
	// base holds what set-up found (kind's version, kube-proxy's mode and
	// settings, conn_reuse_mode); every attempt's result starts from it.
	base *scenario.CellResult
}

// Start brings up the cell's cluster: kind create in the cell's kube-proxy
// mode, the app image loaded, kube-proxy ready in the mode asked for, and
// conn_reuse_mode set as the cell says. On error the cluster is already
// gone (unless the spec keeps it).
func Start(ctx context.Context, c scenario.Cell, kernel string, spec wire.KindSpec, images *Images, emit Emitter) (*Session, error) {
	logf := func(f string, a ...any) { emit.Logf("cell "+c.Name+": "+f, a...) }
	s := &Session{start: time.Now()}
	if err := images.Ensure(ctx); err != nil {
		return nil, fmt.Errorf("kind images: %w", err)
	}
	k := &kindCell{c: c, kernel: kernel, spec: spec, emit: emit, logf: logf, wait: spec.Wait.D(),
		res: &scenario.CellResult{Cell: c}}
	s.k = k
	k.res.Effective.KernelRelease = kernel
	k.res.Effective.Sysctls = map[string]string{}
	k.note("kind:image_load_s", fmt.Sprintf("%.1f", images.LoadTime.Seconds()))
	if err := k.setUp(ctx); err != nil {
		k.diagnose(ctx, "")
		s.Close(ctx, nil)
		return nil, err
	}
	s.base = k.res
	return s, nil
}

// Measure runs one attempt on the session's cluster: the workload (applied
// by the first attempt; a later one rolls the pods the last one left), the
// client Pod's load while `kubectl rollout restart` rolls the Deployment,
// and the records analysed against this attempt's own events. attempt is
// the runner's retry index; in kind the new client Pod gets its own IP, so
// a retry meets no IPVS or conntrack entries of the first attempt's client.
func (s *Session) Measure(ctx context.Context, attempt int) (*scenario.CellResult, []byte, error) {
	k := s.k
	k.res = cloneResult(s.base)
	k.tl = newTimeline(k.logf)
	if attempt > 0 {
		k.note("kind:attempt", "second, on the first attempt's cluster")
	}
	raw, err := k.measure(ctx)
	// the cell so far, cluster creation to the end of this attempt
	k.note("kind:cell_s", fmt.Sprintf("%.1f", time.Since(s.start).Seconds()))
	if err != nil {
		k.diagnose(ctx, fmt.Sprintf(".attempt%d", attempt+1))
		return nil, nil, err
	}
	return k.res, raw, nil
}

// Close deletes the cluster unless the spec keeps it, and notes the
// deletion and the whole cell's time in res (nil: nothing to note in).
func (s *Session) Close(ctx context.Context, res *scenario.CellResult) {
	k := s.k
	if k == nil || k.cluster == nil {
		return
	}
	if k.cluster.Output != "" {
		_ = k.emit.File(k.c.Name+".kind-create.txt", []byte(k.cluster.Output))
	}
	if res != nil && res.Effective.Sysctls != nil {
		k.res = res // the deletion's figures go into the result the runner emits
	}
	if k.spec.Keep {
		k.logf("kind: cluster kept (asked for)")
	} else {
		_ = k.step("delete", func() error { return k.cluster.Delete(context.WithoutCancel(ctx)) })
	}
	k.cluster = nil
	k.note("kind:cell_s", fmt.Sprintf("%.1f", time.Since(s.start).Seconds()))
	k.logf("kind cell took %s", time.Since(s.start).Round(time.Second))
}

// diagnose keeps what explains a failure, before the cluster goes.
func (k *kindCell) diagnose(ctx context.Context, suffix string) {
	_ = k.emit.File(k.c.Name+suffix+".kind-diagnostics.txt", Diagnostics(context.WithoutCancel(ctx)))
}

// cloneResult copies what set-up found, so attempts do not share maps.
func cloneResult(base *scenario.CellResult) *scenario.CellResult {
	r := *base
	r.Effective.Sysctls = make(map[string]string, len(base.Effective.Sysctls))
	for key, v := range base.Effective.Sysctls {
		r.Effective.Sysctls[key] = v
	}
	return &r
}

type kindCell struct {
	c       scenario.Cell
	kernel  string
	spec    wire.KindSpec
	emit    Emitter
	logf    Logf
	wait    time.Duration
	res     *scenario.CellResult
	tl      *timeline
	cluster *Cluster
	vip     string // ClusterIP:80
	applied bool   // the workload exists (a retry rolls it again)
	// what readBack saw, for the fidelity check after the load
	snapEps []proxy.Endpoint
	facts   ClusterFacts
	factErr error
}

func (k *kindCell) note(key, value string) { k.res.Effective.Sysctls[key] = value }

// step runs one timed step and logs its duration; the name is also the
// result's "kind:<name>_s" figure.
func (k *kindCell) step(name string, fn func() error) error {
	start := time.Now()
	err := fn()
	d := time.Since(start)
	k.note("kind:"+name+"_s", fmt.Sprintf("%.1f", d.Seconds()))
	if err != nil {
		k.logf("%s failed after %s: %v", name, d.Round(100*time.Millisecond), err)
		return fmt.Errorf("%s: %w", name, err)
	}
	k.logf("%s took %s", name, d.Round(100*time.Millisecond))
	return nil
}

// setUp is the cluster up to the point where a workload can be measured.
func (k *kindCell) setUp(ctx context.Context) error {
	c := k.c
	if err := k.step("create", func() (err error) {
		k.cluster, err = Create(ctx, k.spec, c.ProxyMode, k.logf)
		return err
	}); err != nil {
		return err
	}
	k.note("kind:binary", k.cluster.Kind)
	k.note("kind:version", k.cluster.Version)
	if k.cluster.Deviation != "" {
		k.note("kind:deviation", k.cluster.Deviation)
	}
	// The workload needs no DNS; under TCG CoreDNS's two pods (stuck in
	// ContainerCreating for minutes in the first run) compete with the
	// control plane and the rollout for the guest's two vCPUs.
	if _, err := Kubectl(ctx, nil, "-n", "kube-system", "scale", "deployment", "coredns", "--replicas=0"); err != nil {
		k.logf("scale coredns to 0: %v", err)
	} else {
		k.note("kind:coredns", "scaled to 0 replicas (the workload uses no DNS; saves the guest's CPU under TCG)")
	}
	// Before the image load, so the replacement pod starts meanwhile.
	if _, err := Kubectl(ctx, nil, "-n", "kube-system", "set", "resources", "daemonset", "kube-proxy",
		"--requests=cpu="+KubeProxyCPURequest); err != nil {
		return fmt.Errorf("give kube-proxy a CPU request: %w", err)
	}
	k.note("kind:kube_proxy_cpu_request", KubeProxyCPURequest+" (deviation: kubeadm's DaemonSet has none, and a BestEffort kube-proxy starved under TCG)")
	if err := k.step("app_image_load", func() error { return k.cluster.LoadApp(ctx, k.spec.AppImage) }); err != nil {
		return err
	}
	if err := k.step("kube_proxy_ready", func() error { return k.kubeProxyReady(ctx) }); err != nil {
		return err
	}
	return k.connReuse()
}

// measure is one attempt: workload, load, rollout, records.
func (k *kindCell) measure(ctx context.Context) ([]byte, error) {
	c := k.c
	records := filepath.Join(wire.KindSharedDir, c.Name+".records.jsonl")
	_ = os.Remove(records)
	n := Node{PID: k.cluster.NodePID}

	// Watches and the poller run from before the workload exists to the
	// end; a retry's watches start with the pods the first attempt left.
	wctx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopWatch(); wg.Wait() }()
	if err := k.tl.watch(wctx, &wg, "pods", "app="+AppLabel, (*APITimeline).Pod); err != nil {
		return nil, err
	}
	if err := k.tl.watch(wctx, &wg, "endpointslices", "kubernetes.io/service-name="+Service, (*APITimeline).Slice); err != nil {
		return nil, err
	}
	if err := k.step("workload_ready", func() error { return k.workload(ctx) }); err != nil {
		return nil, err
	}
	k.tl.pollDataplane(wctx, &wg, n, c.ProxyMode, k.vip)
	if err := k.step("dataplane_programmed", func() error {
		return until(ctx, k.wait, func() bool { return k.tl.takingCount() == c.Rollout.Replicas })
	}); err != nil {
		return nil, fmt.Errorf("%w (dataplane takes %d of %d pods)", err, k.tl.takingCount(), c.Rollout.Replicas)
	}
	// In ipvs mode the poller sees real servers before the sync's ipsets
	// and iptables-restore; iptables and nftables commit atomically.
	if c.ProxyMode == scenario.ModeIPVS {
		programmed := time.Now()
		if err := k.step("kube_proxy_synced", func() error { return k.syncedSince(ctx, programmed) }); err != nil {
			k.logf("%v: reading back what is there", err)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	k.readBack(rctx, n)
	cancel()
	k.logf("read back the node's rules, IPVS table and ipsets")

	if err := k.step("client_running", func() error { return k.startClient(ctx) }); err != nil {
		return nil, err
	}
	k.tl.add(scenario.EvLoadStart, ClientPod, "", "client Pod running")
	psiBefore, loadStart := ReadPressure(), time.Now()
	rolloutErr := k.rollout(ctx)
	stopErr := k.step("client_stopped", func() error {
		_, err := KubectlWait(ctx, "delete", "pod", ClientPod, "--wait=true", "--timeout="+k.wait.String())
		return err
	})
	k.tl.add(scenario.EvLoadStop, ClientPod, "", "client Pod deleted")
	k.notePressure(psiBefore, loadStart)
	if iv, n := k.tl.pollInterval(); n > 0 {
		k.note("kind:dataplane_poll", fmt.Sprintf("%d samples, one every %d ms on average (the dataplane events' resolution)", n, iv.Milliseconds()))
	}
	if c.ProxyMode == scenario.ModeIPVS {
		k.res.Effective.IPVSAfter, _ = n.IPVS()
	}
	stopWatch()
	wg.Wait()
	k.fidelity(ctx)
	if rolloutErr != nil {
		return nil, rolloutErr
	}
	if stopErr != nil {
		return nil, stopErr
	}
	raw, err := os.ReadFile(records)
	if err != nil {
		return nil, fmt.Errorf("client records: %w", err)
	}
	recs, err := scenario.ParseRecords(raw)
	if err != nil {
		return nil, err
	}
	k.res.Events = k.tl.events()
	scenario.Analyze(k.res, recs, k.res.Events)
	return raw, nil
}

// kubeProxyReady waits for the kube-proxy Pod and for its /proxyMode (read
// in the node's network namespace) to name the cell's mode.
func (k *kindCell) kubeProxyReady(ctx context.Context) error {
	// the pod with the CPU request, not the one it replaces
	if out, err := KubectlWait(ctx, "-n", "kube-system", "rollout", "status", "daemonset/kube-proxy", "--timeout="+k.wait.String()); err != nil {
		return fmt.Errorf("kube-proxy DaemonSet rollout: %w: %s", err, strings.TrimSpace(out))
	}
	pods, err := kubeProxyRunning(ctx, k.wait)
	if err != nil {
		return err
	}
	k.logf("kube-proxy pod: %s", pods)
	mode, err := waitProxyMode(ctx, k.wait, k.cluster.NetNS())
	if err != nil {
		return err
	}
	k.note("kube-proxy:proxyMode", mode)
	if mode != string(k.c.ProxyMode) {
		return fmt.Errorf("kube-proxy runs in %q mode, asked for %q", mode, k.c.ProxyMode)
	}
	if cfg, err := Kubectl(ctx, nil, "-n", "kube-system", "get", "configmap", "kube-proxy", "-o", "jsonpath={.data.config\\.conf}"); err == nil {
		_ = k.emit.File(k.c.Name+".kube-proxy-config.yaml", []byte(cfg))
		for key, v := range KubeProxySettings(cfg) {
			k.note("kube-proxy:"+key, v)
		}
	}
	return nil
}

// kubeProxyRunning waits up to wait for a Running kube-proxy pod and
// returns the pods' `kubectl get` line, whitespace collapsed.
func kubeProxyRunning(ctx context.Context, wait time.Duration) (string, error) {
	var pods string
	var last error
	if err := untilEvery(ctx, wait, 3*time.Second, func() bool {
		pods, last = Kubectl(ctx, nil, "-n", "kube-system", "get", "pods", "-l", "k8s-app=kube-proxy", "--no-headers")
		return strings.Contains(pods, " Running ")
	}); err != nil {
		return "", fmt.Errorf("kube-proxy pod not Running %s: %q (last error: %v)", err, strings.TrimSpace(pods), last)
	}
	return strings.Join(strings.Fields(pods), " "), nil
}

// waitProxyMode polls kube-proxy's /proxyMode in nsPath for up to wait
// until it answers.
func waitProxyMode(ctx context.Context, wait time.Duration, nsPath string) (string, error) {
	var mode string
	var last error
	if err := untilEvery(ctx, wait, time.Second, func() bool {
		mode, last = proxyMode(nsPath)
		return mode != ""
	}); err != nil {
		return "", fmt.Errorf("kube-proxy's /proxyMode in %s did not answer %s (last error: %v)", nsPath, err, last)
	}
	return mode, nil
}

// proxyMode asks kube-proxy's metrics server which mode it runs in.
func proxyMode(nsPath string) (string, error) { return kubeProxyGet(nsPath, "/proxyMode") }

// kubeProxyGet fetches a path of kube-proxy's metrics server in the node's
// network namespace and returns the body.
func kubeProxyGet(nsPath, path string) (string, error) {
	var body string
	err := node.InNetns(nsPath, func() error {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:10249", 3*time.Second)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			return err
		}
		b, err := io.ReadAll(conn)
		_, resp, _ := strings.Cut(string(b), "\r\n\r\n")
		body = strings.TrimSpace(resp)
		return err
	})
	return body, err
}

// syncedSince waits until kube-proxy reports a completed sync at or after
// t. The dataplane poller sees IPVS real servers in the middle of a sync,
// before its ipsets and iptables-restore are written (the first 5.10-revert-C
// ipvs:0 read-back had no KUBE-LOOP-BACK entries); any sync that completes
// after the pods were seen in the dataplane includes them.
func (k *kindCell) syncedSince(ctx context.Context, t time.Time) error {
	var last time.Time
	var lastErr error
	// a sync comes at least every syncPeriod (30 s in kind's configuration)
	err := untilEvery(ctx, min(k.wait, 2*time.Minute), time.Second, func() bool {
		var m string
		if m, lastErr = kubeProxyGet(k.cluster.NetNS(), "/metrics"); lastErr != nil {
			return false
		}
		var ok bool
		if last, ok = LastSync(m); !ok {
			// a release without the gauge will not grow one: stop waiting
			lastErr = fmt.Errorf("no %s for IPv4 in kube-proxy's metrics", lastSyncMetric)
			return true
		}
		return !last.Before(t)
	})
	if err == nil && lastErr != nil {
		return lastErr
	}
	if err != nil {
		return fmt.Errorf("kube-proxy's last sync %s, want one after %s: %w (last error: %v)", last.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano), err, lastErr)
	}
	return nil
}

const lastSyncMetric = "kubeproxy_sync_proxy_rules_last_timestamp_seconds"

// LastSync reads when kube-proxy's IPv4 proxier last completed a sync of
// its rules from its Prometheus metrics text (v1.34 labels the gauge by
// ip_family; older releases have no label).
func LastSync(metrics string) (time.Time, bool) {
	for _, line := range strings.Split(metrics, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, lastSyncMetric)
		if !ok {
			continue
		}
		if strings.HasPrefix(rest, "{") {
			labels, value, ok := strings.Cut(rest, "}")
			if !ok || !strings.Contains(labels, `ip_family="IPv4"`) {
				continue
			}
			rest = value
		} else if !strings.HasPrefix(rest, " ") {
			continue // another metric with this prefix
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil || v <= 0 {
			return time.Time{}, false
		}
		sec, frac := math.Modf(v)
		return time.Unix(int64(sec), int64(frac*1e9)), true
	}
	return time.Time{}, false
}

// connReuse records conn_reuse_mode as kube-proxy left it in the node's
// network namespace and sets what the cell asks for by hand: a fixed value,
// or another release's policy (v1.34 itself leaves the sysctl on >= 5.9).
func (k *kindCell) connReuse() error {
	if k.c.ProxyMode != scenario.ModeIPVS {
		return nil
	}
	ns := k.cluster.NetNS()
	spec, err := scenario.ParseConnReuseMode(k.c.ConnReuseMode)
	if err != nil {
		return err
	}
	d, err := spec.Decide(k.kernel)
	if err != nil {
		return err
	}
	was, err := node.SysctlIn(ns, "net/ipv4/vs/conn_reuse_mode")
	if err != nil {
		return err
	}
	k.note("kube-proxy:left_conn_reuse_mode", was)
	ownRelease := spec.Kind == scenario.ReuseKubeProxy && spec.K8sVersion == k.c.KubernetesVersion
	switch {
	case ownRelease:
		d = scenario.ConnReuseDecision{Reason: "left to the node's kube-proxy " + k.c.KubernetesVersion + " (" + d.Reason + ")"}
	case d.Set:
		if err := node.SetSysctlIn(ns, "net/ipv4/vs/conn_reuse_mode", strconv.Itoa(d.Value)); err != nil {
			return err
		}
		d.Reason += "; set by hand in the node's network namespace after kube-proxy started"
	}
	if n := k.c.ExpireNodestConn; n != nil && *n != scenario.DefaultExpireNodest {
		if err := node.SetSysctlIn(ns, "net/ipv4/vs/expire_nodest_conn", strconv.Itoa(*n)); err != nil {
			return err
		}
	}
	now, err := node.SysctlIn(ns, "net/ipv4/vs/conn_reuse_mode")
	if err != nil {
		return err
	}
	if v, _ := strconv.Atoi(now); d.Set && v != d.Value {
		return fmt.Errorf("conn_reuse_mode reads %s in the node after writing %d", now, d.Value)
	}
	if !d.Set {
		d.Value, _ = strconv.Atoi(now)
	}
	k.res.ConnReuse = d
	k.logf("conn_reuse_mode in the node: %s (kube-proxy left %s; %s)", now, was, d.Reason)
	return nil
}

// workload applies the Service and Deployment and waits for the rollout.
func (k *kindCell) workload(ctx context.Context) error {
	if !k.applied {
		m, err := WorkloadManifest(k.c, k.spec.AppImage)
		if err != nil {
			return err
		}
		if _, err := Kubectl(ctx, m, "apply", "--validate=false", "-f", "-"); err != nil {
			return err
		}
		k.applied = true
	}
	if _, err := KubectlWait(ctx, "rollout", "status", "deployment/"+Deployment, "--timeout="+k.wait.String()); err != nil {
		return err
	}
	ip, err := Kubectl(ctx, nil, "get", "service", Service, "-o", "jsonpath={.spec.clusterIP}")
	if err != nil {
		return err
	}
	if net.ParseIP(strings.TrimSpace(ip)) == nil {
		return fmt.Errorf("service %s has no ClusterIP (%q)", Service, ip)
	}
	k.vip = net.JoinHostPort(strings.TrimSpace(ip), "80")
	k.note("kind:service", k.vip)
	return nil
}

// readBack records the node's state with the initial endpoints programmed.
func (k *kindCell) readBack(ctx context.Context, n Node) {
	eff := &k.res.Effective
	if s, err := node.ReadSysctlsIn(k.cluster.NetNS(), []string{"net/ipv4/vs"}, "net/ipv4/ip_forward",
		"net/netfilter/nf_conntrack_tcp_timeout_time_wait", "net/netfilter/nf_conntrack_max"); err == nil {
		for key, v := range s {
			eff.Sysctls[key] = v
		}
	}
	var err error
	if eff.Rules, err = n.Rules(ctx, k.c.ProxyMode, true); err != nil {
		eff.Rules += "\n# " + err.Error()
	}
	if k.c.ProxyMode == scenario.ModeIPVS {
		eff.IPVS, _ = n.IPVS()
		if eff.IPSets, err = n.IPSets(ctx); err != nil {
			eff.IPSets += "\n# " + err.Error()
		}
	}
	k.snapEps = nil
	for _, ip := range TakingTraffic(k.c.ProxyMode, eff.Rules, eff.IPVS, k.vip, ServerPort) {
		k.snapEps = append(k.snapEps, proxy.Endpoint{Pod: k.tl.api.PodByIP(ip), IP: net.ParseIP(ip).To4()})
	}
	raw, err := Kubectl(ctx, nil, "get", "services,endpointslices,nodes", "-A", "-o", "json")
	if err == nil {
		k.facts, err = ParseClusterFacts([]byte(raw), Service)
	}
	k.factErr = err
}

// fidelity programs the endpoints readBack saw with the dataplane tier in
// a network namespace of its own and compares that with the node's
// read-back. It runs after the load, so it cannot disturb the measurement.
func (k *kindCell) fidelity(ctx context.Context) {
	eff := &k.res.Effective
	fail := func(err error) { eff.Fidelity = &scenario.Fidelity{Mode: k.c.ProxyMode, Error: err.Error()} }
	if k.factErr != nil {
		fail(k.factErr)
		return
	}
	host, _, err := net.SplitHostPort(k.vip)
	if err != nil {
		fail(err)
		return
	}
	cidr := eff.Sysctls["kube-proxy:clusterCIDR"]
	if cidr == "" {
		cidr = DefaultPodSubnet
	}
	spec := ModelSpec{Mode: k.c.ProxyMode, Endpoints: k.snapEps, ConnReuse: k.res.ConnReuse,
		Service: proxy.Service{Namespace: "default", Name: Service, PortName: "http", ClusterIP: net.ParseIP(host).To4(),
			Port: 80, TargetPort: ServerPort, ClusterCIDR: cidr, ServiceCIDR: DefaultServiceSubnet, NodeIP: k.facts.NodeIP}}
	if n := k.c.ExpireNodestConn; n != nil {
		spec.ExpireNodestConn = *n
	}
	mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	model, err := RunModel(mctx, spec)
	if err != nil {
		fail(err)
		return
	}
	f := CompareWithModel(k.c.ProxyMode, k.c.KubernetesVersion,
		kubeproxy.Snapshot{Rules: eff.Rules, IPVS: eff.IPVS, IPSets: eff.IPSets}, model, k.facts, len(k.snapEps))
	eff.Fidelity = &f
	k.logf("fidelity against the dataplane tier: %d differences explained, %d unexplained", len(f.Explained), len(f.Differences))
}

// ClientStarted says whether a client Pod phase line (phase, reason,
// message, state) has left Pending: Running, or a failure to report.
func ClientStarted(phase string) bool {
	f := strings.Fields(phase)
	return len(f) > 0 && f[0] != "Pending"
}

// startClient creates the client Pod and waits until it runs.
func (k *kindCell) startClient(ctx context.Context) error {
	m, err := ClientManifest(k.c, k.spec.AppImage, strings.Split(k.vip, ":")[0])
	if err != nil {
		return err
	}
	if _, err := Kubectl(ctx, m, "apply", "--validate=false", "-f", "-"); err != nil {
		return err
	}
	// poll the phase: a Pod that fails at once (a refused sysctl, a load
	// generator that exits) must end the wait with its reason, not after it
	// A failed get (the API server timed out under TCG, seen on
	// 5.10-revert-C: "Error from server (Timeout)") says nothing about the
	// Pod: poll again, and name the last error only if the wait runs out.
	var phase, lastErr string
	if err := untilEvery(ctx, k.wait, 3*time.Second, func() bool {
		out, err := Kubectl(ctx, nil, "get", "pod", ClientPod, "-o", "jsonpath={.status.phase} {.status.reason} {.status.message} {.status.containerStatuses[0].state}")
		if err != nil {
			lastErr = firstLine(strings.TrimSpace(out))
			return false
		}
		phase = out
		return ClientStarted(phase)
	}); err != nil {
		return fmt.Errorf("client Pod not running %s: phase %q (last kubectl error: %s)", err, phase, lastErr)
	}
	if f := strings.Fields(phase); f[0] != "Running" {
		logs, _ := Kubectl(ctx, nil, "logs", ClientPod)
		return fmt.Errorf("client Pod is %s, not Running: %s", phase, tail(logs, 1000))
	}
	if v, err := Kubectl(ctx, nil, "get", "pod", ClientPod, "-o", "jsonpath={.status.podIP} {.status.qosClass}"); err == nil {
		f := strings.Fields(v)
		if len(f) == 2 {
			k.note("kind:client_ip", f[0])
			k.note("kind:client_qos", f[1]+" (cpu request "+ClientCPURequest+", no limit)")
		}
	}
	k.note("client:net/ipv4/ip_local_port_range", k.c.Load.ClientPortRange+" (pod sysctl)")
	return nil
}

// notePressure records, for the load's window, the share of time in which
// the guest's tasks stalled on CPU, memory and IO (PSI), and the memory
// still available: what a load generator that fell behind waited for.
func (k *kindCell) notePressure(before Pressure, since time.Time) {
	for key, v := range StallShares(before, ReadPressure(), time.Since(since)) {
		k.note("guest:psi_"+strings.ReplaceAll(key, ".", "_")+"_pct", v)
	}
	if v, ok := procfs.MeminfoKiB()["MemAvailable"]; ok {
		k.note("guest:mem_available_after_load", fmt.Sprintf("%d kB", v))
	}
}

// rollout is warm-up, kubectl rollout restart + status, the wait until
// every old pod is gone, and the cool-down, with the load running.
func (k *kindCell) rollout(ctx context.Context) error {
	c := k.c
	if err := mono.Sleep(ctx, c.Load.WarmUp.D()); err != nil {
		return err
	}
	old := k.tl.livePods()
	k.tl.add(scenario.EvRolloutStart, "", "", "kubectl rollout restart deployment/"+Deployment)
	if err := k.step("rollout", func() error {
		if _, err := Kubectl(ctx, nil, "rollout", "restart", "deployment/"+Deployment); err != nil {
			return err
		}
		_, err := KubectlWait(ctx, "rollout", "status", "deployment/"+Deployment, "--timeout="+k.wait.String())
		return err
	}); err != nil {
		return err
	}
	// rollout status returns with old pods still terminating
	grace := c.Rollout.TerminationGracePeriod.D() + c.Rollout.PreStop.D() + k.wait
	if err := k.step("old_pods_gone", func() error {
		return until(ctx, grace, func() bool {
			live := k.tl.livePods()
			for _, p := range old {
				for _, l := range live {
					if p == l {
						return false
					}
				}
			}
			return true
		})
	}); err != nil {
		return err
	}
	k.tl.add(scenario.EvRolloutDone, "", "", "")
	return mono.Sleep(ctx, c.Load.CoolDown.D())
}

// KubeProxySettings picks from kube-proxy's config.conf the settings in
// which kind's kube-proxy differs from the kube-proxy tier's.
func KubeProxySettings(conf string) map[string]string {
	out := map[string]string{}
	var section string
	for _, line := range strings.Split(conf, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		key, val, _ := strings.Cut(strings.TrimSpace(line), ":")
		val = strings.TrimSpace(val)
		if indent == 0 {
			section = key
			if val != "" && keepTop[key] {
				out[key] = val
			}
			continue
		}
		if want := keepNested[section]; want != nil && want[key] && indent == 2 {
			out[section+"."+key] = val
		}
	}
	return out
}

var (
	keepTop    = map[string]bool{"mode": true, "metricsBindAddress": true, "clusterCIDR": true, "minSyncPeriod": true, "syncPeriod": true}
	keepNested = map[string]map[string]bool{
		"conntrack": {"maxPerCore": true, "min": true, "tcpBeLiberal": true, "tcpCloseWaitTimeout": true, "tcpEstablishedTimeout": true},
		"ipvs":      {"minSyncPeriod": true, "syncPeriod": true, "scheduler": true, "strictARP": true},
		"iptables":  {"minSyncPeriod": true, "syncPeriod": true, "masqueradeAll": true},
		"nftables":  {"minSyncPeriod": true, "syncPeriod": true, "masqueradeAll": true},
	}
)

// until polls ok every 250 ms until it holds or limit passes.
func until(ctx context.Context, limit time.Duration, ok func() bool) error {
	return untilEvery(ctx, limit, 250*time.Millisecond, ok)
}

// untilEvery polls ok every period: a kubectl start costs a second of CPU
// under TCG, so kubectl-based checks poll slowly.
func untilEvery(ctx context.Context, limit, period time.Duration, ok func() bool) error {
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", limit.Round(time.Second))
		}
		if err := mono.Sleep(ctx, period); err != nil {
			return err
		}
	}
	return nil
}
