package kubeproxy

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/proxy"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/sh"
)

// Config is one cell of the kube-proxy tier.
type Config struct {
	Version     string             // kube-proxy release
	Mode        scenario.ProxyMode // --proxy-mode
	Dir         string             // state and logs, e.g. /tmp/k8s-<cell>
	NodeIP      string
	PodCIDR     string
	ClusterCIDR string
	Logf        func(string, ...any)
	// PodGone says a terminating pod's object is deleted (its containers
	// exited and its sandbox is gone); its endpoint is then removed.
	PodGone func(pod string) bool
}

// Programmer is proxy.Programmer for the kube-proxy tier: endpoint changes
// become EndpointSlice writes, and each call returns once kube-proxy has
// programmed them, so the rollout's events carry the time they took effect.
type Programmer struct {
	cfg  Config
	svc  proxy.Service
	spec ServiceSpec
	CP   *ControlPlane
	KP   *KubeProxy

	mu    sync.Mutex
	eps   []EndpointState
	stop  chan struct{}
	done  chan struct{}
	Syncs []time.Duration // API write -> dataplane shows it, per change
}

// New prepares (does not start) the tier for svc.
func New(cfg Config, svc proxy.Service) *Programmer {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.PodGone == nil {
		cfg.PodGone = func(pod string) bool { _, err := os.Stat("/run/netns/rl-" + pod); return os.IsNotExist(err) }
	}
	return &Programmer{cfg: cfg, svc: svc, spec: ServiceSpec{
		Namespace: svc.Namespace, Name: svc.Name, PortName: svc.PortName,
		ClusterIP: svc.ClusterIP.String(), Port: svc.Port, TargetPort: svc.TargetPort,
	}}
}

// Setup starts etcd, the API server, registers Node and Service with an
// empty slice, starts kube-proxy and waits until it has the service.
func (p *Programmer) Setup() error {
	ctx := context.Background()
	var err error
	api := scenario.APIServerVersion(p.cfg.Version)
	p.CP, err = StartControlPlane(ctx, p.cfg.Dir, api, p.cfg.NodeIP, p.cfg.Logf)
	if err != nil {
		return fmt.Errorf("control plane: %w", err)
	}
	p.cfg.Logf("control plane (kube-apiserver %s) ready after %s", api, p.CP.ReadyAfter.Round(time.Millisecond))
	c := p.CP.Client
	for _, o := range []struct {
		path string
		body []byte
	}{{nodePath(), NodeObject(p.cfg.NodeIP, p.cfg.PodCIDR)}, {servicePath(p.spec), ServiceObject(p.spec)}} {
		if err := c.Apply(ctx, o.path, o.body); err != nil {
			return fmt.Errorf("create %s: %w", o.path, err)
		}
	}
	if err := p.writeEndpoints(ctx, nil); err != nil {
		return err
	}
	p.KP, err = StartKubeProxy(ctx, p.CP, p.cfg.Version, p.cfg.Mode, p.cfg.ClusterCIDR)
	if err != nil {
		return fmt.Errorf("kube-proxy: %w", err)
	}
	p.cfg.Logf("kube-proxy %s up after %s, mode in effect %q", p.cfg.Version, p.KP.ReadyAfter.Round(time.Millisecond), p.KP.Effective)
	if p.KP.Effective != p.cfg.Mode {
		return fmt.Errorf("kube-proxy %s runs in %q mode, asked for %q (it falls back when the mode looks unusable); log: %s",
			p.cfg.Version, p.KP.Effective, p.cfg.Mode, p.KP.LogTail(1500))
	}
	if err := p.waitProgrammed(ctx, nil); err != nil {
		return err
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.reaper()
	return nil
}

// SetEndpoints writes the slice for the new ready set (pods that left it
// become terminating) and waits until kube-proxy has applied it.
func (p *Programmer) SetEndpoints(eps []proxy.Endpoint) error {
	ready := make([]Ready, 0, len(eps))
	for _, e := range eps {
		ready = append(ready, Ready{Pod: e.Pod, IP: e.IP.String()})
	}
	ctx := context.Background()
	start := time.Now()
	// compute and write under one lock, so the reaper never writes an older state after us
	p.mu.Lock()
	p.eps = Transition(p.eps, ready)
	want := ReadyIPs(p.eps)
	err := p.writeEndpoints(ctx, p.eps)
	p.mu.Unlock()
	if err != nil {
		return err
	}
	if err := p.waitProgrammed(ctx, want); err != nil {
		return err
	}
	p.mu.Lock()
	p.Syncs = append(p.Syncs, time.Since(start))
	p.mu.Unlock()
	return nil
}

// reaper removes terminating endpoints once their pods are gone, as the
// EndpointSlice controller does when the pod object is deleted.
func (p *Programmer) reaper() {
	defer close(p.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		next, changed := Remove(p.eps, func(e EndpointState) bool { return p.cfg.PodGone(e.Pod) })
		if changed {
			p.eps = next
			if err := p.writeEndpoints(context.Background(), next); err != nil {
				p.cfg.Logf("remove terminated endpoints: %v", err)
			}
		}
		p.mu.Unlock()
	}
}

// writeEndpoints publishes eps the way kube-proxy's release reads them: an
// EndpointSlice, or for pre-1.22 releases core/v1 Endpoints.
func (p *Programmer) writeEndpoints(ctx context.Context, eps []EndpointState) error {
	if scenario.ReadsEndpoints(p.cfg.Version) {
		if err := p.CP.Client.Apply(ctx, endpointsPath(p.spec), EndpointsObject(p.spec, eps)); err != nil {
			return fmt.Errorf("write Endpoints: %w", err)
		}
		return nil
	}
	if err := p.CP.Client.Apply(ctx, slicePath(p.spec), SliceObject(p.spec, eps)); err != nil {
		return fmt.Errorf("write EndpointSlice: %w", err)
	}
	return nil
}

// waitProgrammed polls the dataplane until exactly want takes new traffic.
func (p *Programmer) waitProgrammed(ctx context.Context, want []string) error {
	vip := hostPort(p.spec.ClusterIP, p.spec.Port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		rules, table, _ := p.ReadBack()
		// the ClusterIP shows up once kube-proxy synced the service at all
		if strings.Contains(rules+table, p.spec.ClusterIP) && Programmed(p.cfg.Mode, rules, table, vip, p.spec.TargetPort, want) {
			return nil
		}
		if err := p.KP.Alive(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-proxy (mode %q in effect) did not program endpoints %v within 60s; kube-proxy log: %s",
				p.KP.Effective, want, p.KP.LogTail(1500))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ReadBack dumps what kube-proxy programmed, in the effective mode.
func (p *Programmer) ReadBack() (rules, ipvsTable, ipsets string) {
	mode := p.cfg.Mode
	if p.KP != nil && p.KP.Effective != "" {
		mode = p.KP.Effective
	}
	switch mode {
	case scenario.ModeIPVS:
		return sh.Dump("iptables-save"), sh.Dump("ipvsadm", "-Ln"), sh.Dump("ipset", "list")
	case scenario.ModeNFTables:
		return sh.Dump("nft", "list", "ruleset"), "", ""
	default:
		return sh.Dump("iptables-save"), "", ""
	}
}

// Close stops kube-proxy and the control plane; kube-proxy's rules stay
// until the next cell's teardown, as on a node.
func (p *Programmer) Close() error {
	if p.stop != nil {
		close(p.stop)
		<-p.done
	}
	p.KP.Stop()
	if p.CP != nil {
		p.CP.Stop()
	}
	return nil
}
