// Package engine runs a container engine in the guest without systemd:
// containerd, then dockerd on it (cgroupfs driver, docker's own iptables
// rules), each logging to a file; Start returns once `docker info` answers.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
)

// Paths in the disk root.
const (
	ContainerdSocket = "/run/containerd/containerd.sock"
	DataRoot         = "/var/lib/docker"
	LogDir           = "/var/log"
)

// DefaultReady is the wait for dockerd when the request gives none.
const DefaultReady = 2 * time.Minute

// Engine is a running containerd + dockerd.
type Engine struct {
	containerd, dockerd *proc
	// Ready is how long Start took until docker info answered.
	Ready time.Duration
}

// containerdArgs and dockerdArgs are the engines' command lines.
func containerdArgs() []string {
	return []string{"--address", ContainerdSocket, "--log-level", "warn"}
}

func dockerdArgs() []string {
	return []string{
		"--containerd=" + ContainerdSocket,
		"--exec-opt", "native.cgroupdriver=cgroupfs", // no systemd in the guest
		"--data-root=" + DataRoot,
		"--storage-driver=overlay2", // fail loudly rather than fall back to vfs
		"--iptables=true",
		"--log-level=warn",
	}
}

// Start launches both daemons and waits up to ready for dockerd.
func Start(ctx context.Context, ready time.Duration) (*Engine, error) {
	if ready <= 0 {
		ready = DefaultReady
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, ready)
	defer cancel()
	// Nothing else brings the guest's loopback up, and docker-proxy, kind
	// (a free 127.0.0.1 port for the API server) and kubectl need it.
	if err := loopbackUp(); err != nil {
		return nil, err
	}
	e := &Engine{}
	var err error
	if e.containerd, err = startProc("containerd", "containerd", containerdArgs()...); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, e.containerd, func() bool { _, err := os.Stat(ContainerdSocket); return err == nil }); err != nil {
		e.Stop()
		return nil, fmt.Errorf("containerd not ready: %w", err)
	}
	if e.dockerd, err = startProc("dockerd", "dockerd", dockerdArgs()...); err != nil {
		e.Stop()
		return nil, err
	}
	if err := waitFor(ctx, e.dockerd, func() bool {
		return exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").Run() == nil
	}); err != nil {
		e.Stop()
		return nil, fmt.Errorf("dockerd not ready: %w", err)
	}
	e.Ready = time.Since(start)
	return e, nil
}

func loopbackUp() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	return nil
}

// Stop ends dockerd, then containerd (SIGTERM, SIGKILL after a grace).
func (e *Engine) Stop() {
	if e == nil {
		return
	}
	e.dockerd.stop(30 * time.Second)
	e.containerd.stop(15 * time.Second)
}

// waitFor polls ok until it holds, p dies, or ctx ends.
func waitFor(ctx context.Context, p *proc, ok func() bool) error {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if ok() {
			return nil
		}
		if err := p.alive(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; %s log: %s", ctx.Err(), p.name, p.logTail(2000))
		case <-t.C:
		}
	}
}

// proc is one daemon with its log file.
type proc struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
	err    error
}

func startProc(name, bin string, args ...string) (*proc, error) {
	if err := os.MkdirAll(LogDir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(LogDir, name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	// Own process group: a signal to the agent's group does not hit them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		lf.Close()
		close(p.exited)
	}()
	return p, nil
}

func (p *proc) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited (%v): %s", p.name, p.err, p.logTail(2000))
	default:
		return nil
	}
}

func (p *proc) logTail(n int) string {
	b, _ := os.ReadFile(p.log)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func (p *proc) stop(grace time.Duration) {
	if p == nil {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}
