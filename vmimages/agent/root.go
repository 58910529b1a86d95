package main

import (
	"context"
	"errors"
	"os/exec"
	"time"

	"github.com/rolloutlab/rolloutlab/vmimages/guest/engine"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/pid1"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/rootfs"
	"github.com/rolloutlab/rolloutlab/wire"
)

// enterRoot switches PID 1 onto the disk root r describes and, when asked,
// starts the container engine there. The returned stop ends the engine;
// errors are *wire.GuestError.
func enterRoot(ctx context.Context, r wire.RootSpec, ctl *control) (stop func(), err error) {
	start := pid1.Uptime()
	if err := rootfs.Apply(rootfs.Plan(r)); err != nil {
		return nil, err
	}
	// kmod's modprobe (the new root's) wants the binary indexes busybox's
	// does not: write them for the kernel's modules, bound from the initramfs.
	if out, err := exec.CommandContext(ctx, "depmod", "-a").CombinedOutput(); err != nil {
		ctl.Logf("depmod -a in the disk root failed (modprobe may not find modules): %v: %s", err, out)
	}
	ctl.Logf("root: on %s over %s after %s", r.Scratch, r.Lower, (pid1.Uptime() - start).Round(time.Millisecond))
	if !r.Engine {
		return func() {}, nil
	}
	e, err := engine.Start(ctx, time.Duration(r.EngineReady))
	if err != nil {
		kind := wire.ErrHarness
		if errors.Is(err, context.DeadlineExceeded) {
			kind = wire.ErrTimeout
		}
		return nil, &wire.GuestError{Kind: kind, Op: "engine", Message: err.Error()}
	}
	ctl.Logf("engine: dockerd ready after %s", e.Ready.Round(time.Millisecond))
	return e.Stop, nil
}
