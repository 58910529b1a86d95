package run

import (
	"context"
	"fmt"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/qemu"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

// DiskRoot asks Boot for a guest on a disk root: the read-only engine root
// as /dev/vda and a fresh sparse scratch disk as /dev/vdb (in OutDir,
// deleted after the boot, whatever happened).
type DiskRoot struct {
	EngineRoot string            // path of the engine root image
	Seed       map[string]string // files for the scratch disk's seed/ (guest: wire.SeedMount)
	Engine     bool              // start containerd + dockerd before the mode
	// ScratchPath is set by Boot while the scratch disk exists.
	ScratchPath string
	scratch     *image.Scratch
}

// engineReadyBase is the wait for dockerd on KVM; TCG scales it.
const engineReadyBase = 60 * time.Second

// prepareRoot makes the scratch disk and fills in the request's root; it
// returns the modules archive that boot needs (virtio, overlay, ...).
func (env *Env) prepareRoot(ctx context.Context, req *wire.Request, o BootOptions) (string, error) {
	r := o.Root
	if r.EngineRoot == "" {
		return "", &qemu.InfraError{Op: "disk root", Err: fmt.Errorf("no engine root image")}
	}
	if env.Kernel.EngineModulesArchive == "" {
		return "", &qemu.InfraError{Op: "disk root", Err: fmt.Errorf("kernel %s was prepared without engine modules", env.Kernel.Entry.Name)}
	}
	s, err := image.NewScratch(ctx, o.OutDir, r.Seed)
	if err != nil {
		return "", &qemu.InfraError{Op: "scratch disk", Err: err}
	}
	r.scratch, r.ScratchPath = s, s.Path
	spec := &wire.RootSpec{Lower: qemu.GuestDevice(0), Scratch: qemu.GuestDevice(1), Engine: r.Engine}
	if r.Engine {
		spec.EngineReady = scenario.Duration(time.Duration(qemu.TimeoutsFor(env.Accel).Scale * float64(engineReadyBase)))
	}
	req.Root = spec
	if len(req.Modules) == 0 {
		req.Modules = env.Kernel.EngineModules
	}
	return env.Kernel.EngineModulesArchive, nil
}

// drives lists the disks in the order RootSpec names them.
func (r *DiskRoot) drives() []qemu.Drive {
	return []qemu.Drive{
		{Path: r.EngineRoot, ReadOnly: true},
		{Path: r.ScratchPath, Cache: qemu.CacheUnsafe},
	}
}

func (r *DiskRoot) cleanup() {
	if r.scratch != nil {
		_ = r.scratch.Remove()
		r.scratch = nil
	}
}
