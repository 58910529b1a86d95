package rollout

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/evlog"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/proxy"
)

// Driver owns the pods of one cell.
type Driver struct {
	Cell   scenario.Cell
	Svc    proxy.Service
	Prog   proxy.Programmer
	Events *evlog.Log
	Self   string // the agent binary, run as "serve" inside each pod
	// PodIPBase is the first pod address; later pods count up from it.
	PodIPBase net.IP

	mu     sync.Mutex
	nextIP int
	ready  map[string]*Pod // pods that are endpoints
	all    []*Pod
}

func (d *Driver) allocIP() net.IP {
	d.mu.Lock()
	defer d.mu.Unlock()
	ip := append(net.IP(nil), d.PodIPBase.To4()...)
	ip[3] += byte(d.nextIP) // never reused within a cell
	d.nextIP++
	return ip
}

func (d *Driver) endpointsLocked() []proxy.Endpoint {
	var eps []proxy.Endpoint
	for _, p := range d.ready {
		eps = append(eps, proxy.Endpoint{Pod: p.Name, IP: p.IP()})
	}
	return eps
}

// addEndpoints makes pods endpoints in one proxy sync.
func (d *Driver) addEndpoints(pods ...*Pod) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ready == nil {
		d.ready = map[string]*Pod{}
	}
	for _, p := range pods {
		d.ready[p.Name] = p
	}
	if err := d.Prog.SetEndpoints(d.endpointsLocked()); err != nil {
		return fmt.Errorf("add endpoint(s) %s: %w", podNames(pods), err)
	}
	for _, p := range pods {
		d.Events.Add(scenario.EvEndpointAdded, p.Name, p.IP().String(), "")
	}
	return nil
}

func podNames(pods []*Pod) string {
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func (d *Driver) removeEndpoint(p *Pod) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.ready, p.Name)
	if err := d.Prog.SetEndpoints(d.endpointsLocked()); err != nil {
		return fmt.Errorf("remove endpoint %s: %w", p.Name, err)
	}
	d.Events.Add(scenario.EvEndpointRemoved, p.Name, p.IP().String(), "")
	return nil
}

func (d *Driver) track(p *Pod) {
	d.mu.Lock()
	d.all = append(d.all, p)
	d.mu.Unlock()
}

// The first revision's replicas stand for a Deployment that has been
// running for a while: they skip the readiness delay (it models the
// rollout's new pods) and become endpoints as soon as they answer the
// kubelet's probe. Starting them (StartInitial) and making them endpoints
// (ReadyInitial) are apart, so the caller can program the proxy between.

// StartInitial starts the first revision's replicas; none is an endpoint yet.
func (d *Driver) StartInitial(revision string) ([]*Pod, error) {
	var pods []*Pod
	for i := 0; i < d.Cell.Rollout.Replicas; i++ {
		p, err := d.startPod(fmt.Sprintf("web-%s-%d", revision, i))
		if err != nil {
			return pods, err
		}
		d.track(p)
		pods = append(pods, p)
	}
	return pods, nil
}

// ReadyInitial probes the started pods, all at once, and when every one
// answers makes them endpoints in one proxy sync. Nothing measures before
// the load starts, so the order is free, and each sync costs tool runs
// (the ipvs mode's ipset restore: ~70 ms under TCG).
func (d *Driver) ReadyInitial(ctx context.Context, pods []*Pod) error {
	probed := make(chan error, len(pods))
	for _, p := range pods {
		go func() { probed <- d.probeReady(ctx, p) }()
	}
	var errs error
	for range pods {
		errs = errors.Join(errs, <-probed)
	}
	if errs != nil {
		return errs
	}
	return d.addEndpoints(pods...)
}

// Rollout replaces old with new revision pods as the Deployment controller
// does: the new ReplicaSet grows while old+new <= replicas+maxSurge, the old
// one shrinks while ready pods stay >= replicas-maxUnavailable. Terminating
// pods count for neither (the controller counts ReplicaSet replicas).
func (d *Driver) Rollout(ctx context.Context, old []*Pod, revision string) error {
	r := d.Cell.Rollout
	surge, unavailable, err := scenario.ResolveRollingUpdate(r.Replicas, r.MaxSurge, r.MaxUnavailable)
	if err != nil {
		return err
	}
	type readyMsg struct {
		p   *Pod
		err error
	}
	readyc := make(chan readyMsg, r.Replicas) // buffered: senders never block after an early return
	var terms sync.WaitGroup
	var termMu sync.Mutex
	var termErr *multierror.Error
	created, newReady := 0, 0
	for len(old) > 0 || newReady < r.Replicas {
		// scaling one ReplicaSet can allow the other to move: repeat until stable
		for changed := true; changed; {
			changed = false
			for created < r.Replicas && len(old)+created < r.Replicas+surge {
				p, err := d.startPod(fmt.Sprintf("web-%s-%d", revision, created))
				if err != nil {
					return err
				}
				d.track(p)
				created++
				changed = true
				go func() { readyc <- readyMsg{p, d.waitReady(ctx, p)} }()
			}
			for len(old) > 0 && len(old)+newReady > r.Replicas-unavailable {
				p := old[0]
				old = old[1:]
				changed = true
				terms.Add(1)
				go func() {
					defer terms.Done()
					if err := d.terminate(p); err != nil {
						termMu.Lock()
						termErr = multierror.Append(termErr, err)
						termMu.Unlock()
					}
				}()
			}
		}
		if len(old) == 0 && newReady == r.Replicas {
			break
		}
		if created == newReady {
			return fmt.Errorf("rollout stuck: old=%d new=%d ready=%d surge=%d unavailable=%d", len(old), created, newReady, surge, unavailable)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m := <-readyc:
			if m.err != nil {
				return m.err
			}
			if err := d.addEndpoints(m.p); err != nil {
				return err
			}
			newReady++
		}
	}
	terms.Wait()
	return termErr.ErrorOrNil()
}

// Shutdown kills every pod still there.
func (d *Driver) Shutdown() {
	d.mu.Lock()
	pods := d.all
	d.all = nil
	d.mu.Unlock()
	for _, p := range pods {
		select {
		case <-p.exited:
			_ = p.np.Delete()
		default:
			p.kill()
		}
	}
}
