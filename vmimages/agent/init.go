package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/pid1"
	"github.com/rolloutlab/rolloutlab/wire"
)

// runInit boots the guest: mounts, modules, facts, the requested work, and
// a clean power-off. PID 1 must never exit (the kernel would panic), so every
// path, including a Go panic, ends in poweroff.
func runInit() {
	// The kernel starts init without PATH. Everything the scenario starts
	// inherits this environment, and real binaries (kube-proxy looks up
	// "iptables", "ipset") resolve tools through PATH like on a node.
	for _, kv := range guestEnv {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	// Module loading is kernel work the agent only waits for (~250 ms of
	// the boot under TCG): it starts first, from the archive's own index,
	// and the mounts, the control port and decoding the request run beside
	// it (main to ready 306 -> 276 ms, median of 8 alternating boots).
	u := uname()
	modules := startModules(unix.ByteSliceToString(u.Release[:]))
	mountErr := mountBasics() // before openControl: /dev must exist
	ctl := openControl()
	defer func() {
		if r := recover(); r != nil {
			ctl.fail(wire.ErrHarness, "agent", fmt.Errorf("agent panic: %v", r))
		}
		_ = ctl.write(wire.Done())
		ctl.flush()
		pid1.PowerOff()
	}()
	if mountErr != nil {
		ctl.fail(wire.ErrHarness, "mount", mountErr)
		return
	}
	bootToAgent := pid1.Uptime()
	req, err := readRequest()
	if err != nil {
		ctl.fail(wire.ErrHarness, "request", err)
		return
	}
	facts := gatherFacts(u, bootToAgent)
	loaded, err := modules.wait(req.Modules, ctl)
	facts.Modules = loaded
	if err != nil {
		// A kernel without the modules we need is the kernel's problem,
		// not the harness's; report it with the facts we have.
		_ = ctl.write(wire.Hello(refreshFacts(facts)))
		ctl.fail(wire.ErrKernel, "modules", err)
		return
	}
	facts = refreshFacts(facts)
	facts.AgentReady = scenario.Duration(pid1.Uptime())
	if err := ctl.write(wire.Hello(facts)); err != nil {
		fmt.Fprintf(os.Stderr, "agent: cannot send hello: %v\n", err)
	}

	ctx := context.Background()
	if req.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.Deadline))
		defer cancel()
	}
	if req.Root != nil {
		stop, err := enterRoot(ctx, *req.Root, ctl)
		if err != nil {
			var ge *wire.GuestError
			if errors.As(err, &ge) {
				ctl.fail(ge.Kind, ge.Op, errors.New(ge.Message))
			} else {
				ctl.fail(wire.ErrHarness, "root", err)
			}
			return
		}
		defer stop()
	}
	if err := runMode(ctx, req, ctl); err != nil {
		kind := wire.ErrScenario
		var ge *wire.GuestError
		switch {
		case errors.As(err, &ge):
			kind = ge.Kind
		case errors.Is(err, context.DeadlineExceeded):
			kind = wire.ErrTimeout
		}
		ctl.fail(kind, string(req.Mode), err)
	}
}

func runMode(ctx context.Context, req *wire.Request, ctl *control) error {
	switch req.Mode {
	case wire.ModeProbe:
		return nil
	case wire.ModeExec:
		res, err := execCommand(ctx, req.Command)
		if err != nil {
			return err
		}
		return ctl.write(wire.Exec(*res))
	case wire.ModeShell:
		return interactiveShell()
	case wire.ModeScenario:
		return runScenario(ctx, *req, ctl)
	default:
		return fmt.Errorf("unknown mode %q (want probe, exec, shell or scenario)", req.Mode)
	}
}

func mountBasics() error {
	mounts := []struct{ src, dst, fs, data string }{
		{"proc", "/proc", "proc", ""},
		{"sysfs", "/sys", "sysfs", ""},
		{"devtmpfs", "/dev", "devtmpfs", ""},
		{"devpts", "/dev/pts", "devpts", "ptmxmode=0666"},
		{"tmpfs", "/tmp", "tmpfs", ""},
		{"tmpfs", "/run", "tmpfs", ""},
	}
	for _, m := range mounts {
		if err := os.MkdirAll(m.dst, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(m.src, m.dst, m.fs, 0, m.data); err != nil && err != unix.EBUSY {
			return fmt.Errorf("mount %s on %s: %w", m.fs, m.dst, err)
		}
	}
	// ip netns keeps its bind mounts here; xtables wants its lock dir.
	for _, d := range []string{"/run/netns", "/run/xtables", "/var"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	_ = os.Symlink("/run", "/var/run")
	_ = os.Symlink("/proc/self/fd", "/dev/fd")
	// Let the kernel autoload what tools ask for (nft expressions, xt
	// matches) with busybox's modprobe, which reads the same modules.dep.
	// The image has no /sbin/modprobe, so the kernel's own requests while
	// it booted failed at once (see busyboxSbin in harness/image).
	_ = os.Symlink("../bin/busybox", "/usr/sbin/modprobe")
	_ = os.WriteFile("/proc/sys/kernel/modprobe", []byte("/sbin/modprobe"), 0o644)
	return nil
}

func readRequest() (*wire.Request, error) {
	b, err := os.ReadFile(wire.RequestPath)
	if err != nil {
		return nil, fmt.Errorf("read request: %w", err)
	}
	req, err := wire.DecodeRequest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", wire.RequestPath, err)
	}
	return &req, nil
}

// moduleLoaders is how many finit_module calls may be in flight. More than
// the guest's 2 vCPUs: a module load also waits (the kernel's RCU and
// module bookkeeping), and the CPU is another load's meanwhile. Measured
// on 6.1 under TCG (2026-12-06, 9 boots each, modules + facts): 2 loaders
// median 516 ms, 4 438 ms, 6 424 ms, 16 414 ms.
const moduleLoaders = 16

// moduleLoad is the module loading startModules began; its fields are
// set by that goroutine and read after done.
type moduleLoad struct {
	idx     *moduleIndex
	idxErr  error
	order   []string // every module the index lists, dependencies first
	done    chan struct{}
	loaded  []string
	loadErr error
}

// startModules loads, in the background, every module the initramfs's
// index lists: the harness packs exactly the request's modules and their
// dependencies (harness/kernel.Select), so the request need not be read
// first; wait answers for the request's list.
func startModules(release string) *moduleLoad {
	return startModulesWith(func() (*moduleIndex, error) { return readModuleIndex(release) }, (*moduleIndex).insert)
}

func startModulesWith(read func() (*moduleIndex, error), insert func(*moduleIndex, string) error) *moduleLoad {
	m := &moduleLoad{done: make(chan struct{})}
	go func() {
		defer close(m.done)
		m.idx, m.idxErr = read()
		m.order = m.idx.all()
		m.loaded, m.loadErr = m.idx.insertAll(m.order, moduleLoaders, func(n string) error { return insert(m.idx, n) })
	}()
	return m
}

// wait returns the requested modules, dependencies first, and the built-in
// ones asked for, once the background load is over. Every module the
// index lists was loaded, so a requested one it lacks is built in or missing.
func (m *moduleLoad) wait(names []string, ctl *control) ([]string, error) {
	<-m.done
	if len(names) == 0 {
		return nil, nil
	}
	order, builtin, missing := m.idx.loadOrder(names)
	if m.idxErr != nil && len(order) > 0 {
		return nil, m.idxErr
	}
	if m.loadErr != nil {
		return m.loaded, m.loadErr
	}
	if len(missing) > 0 {
		ctl.Logf("modules neither loadable nor built in (may be built in without modules.builtin): %v", missing)
	}
	return append(order, builtin...), nil
}
