// Package rollout drives a Deployment-like rolling update of the service's
// pods on the node: start, readiness, endpoint changes through the proxy
// mode, preStop, SIGTERM, grace period, SIGKILL and namespace deletion,
// each step recorded as an event on the records' clock.
package rollout

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/mono"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
)

// Pod is one server replica.
type Pod struct {
	Name   string
	np     *node.Pod
	cmd    *exec.Cmd
	stderr bytes.Buffer
	exited chan struct{}
}

// IP is the pod's address.
func (p *Pod) IP() net.IP { return p.np.IP }

func (d *Driver) startPod(name string) (*Pod, error) {
	ip := d.allocIP()
	np, err := node.AddPod(name, ip)
	if err != nil {
		return nil, err
	}
	p := &Pod{Name: name, np: np, exited: make(chan struct{})}
	d.Events.Add(scenario.EvPodCreated, name, ip.String(), "")
	p.cmd = exec.Command(d.Self, "serve", "--name", name, "--port", strconv.Itoa(d.Svc.TargetPort))
	p.cmd.Stderr = &p.stderr
	if err := node.StartIn(np.NSPath(), p.cmd); err != nil {
		_ = np.Delete()
		return nil, fmt.Errorf("pod %s: %w", name, err)
	}
	d.Events.Add(scenario.EvServerStarted, name, ip.String(), fmt.Sprintf("pid %d", p.cmd.Process.Pid))
	go func() {
		err := p.cmd.Wait()
		detail := "exit 0"
		if err != nil {
			detail = err.Error()
		}
		d.Events.Add(scenario.EvExit, name, ip.String(), detail)
		close(p.exited)
	}()
	return p, nil
}

// waitReady sleeps the readiness delay, then probes the port.
func (d *Driver) waitReady(ctx context.Context, p *Pod) error {
	if err := mono.Sleep(ctx, d.Cell.Rollout.ReadinessDelay.D()); err != nil {
		return err
	}
	return d.probeReady(ctx, p)
}

// probeReady probes the pod's port from the node, as the kubelet does,
// every 100 ms until it answers (at most ~5 s).
func (d *Driver) probeReady(ctx context.Context, p *Pod) error {
	addr := net.JoinHostPort(p.IP().String(), strconv.Itoa(d.Svc.TargetPort))
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp4", addr, time.Second)
		if err == nil {
			// a probe must complete the protocol, or the server logs a short read
			_, _ = c.Write([]byte("probe\n"))
			c.Close()
			d.Events.Add(scenario.EvReady, p.Name, p.IP().String(), "")
			return nil
		}
		if i >= 50 {
			return fmt.Errorf("pod %s never became ready: %w (stderr: %s)", p.Name, err, p.stderr.String())
		}
		if err := mono.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// terminate is the kubelet's pod deletion after the endpoint is gone:
// preStop, SIGTERM, grace period, SIGKILL, then the sandbox (netns) goes.
func (d *Driver) terminate(p *Pod) error {
	if err := d.removeEndpoint(p); err != nil {
		return err
	}
	time.Sleep(d.Cell.Rollout.PreStop.D())
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	d.Events.Add(scenario.EvSIGTERM, p.Name, p.IP().String(), "")
	select {
	case <-p.exited:
	case <-time.After(d.Cell.Rollout.TerminationGracePeriod.D()):
		_ = p.cmd.Process.Kill()
		d.Events.Add(scenario.EvSIGKILL, p.Name, p.IP().String(), "grace period over")
		<-p.exited
	}
	if err := p.np.Delete(); err != nil {
		return err
	}
	d.Events.Add(scenario.EvNetnsDeleted, p.Name, p.IP().String(), "")
	return nil
}

// kill removes a pod at once (cleanup after the measurement).
func (p *Pod) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	_ = p.np.Delete()
}
