package run

import (
	"context"
	"errors"
	"fmt"

	"github.com/rolloutlab/rolloutlab/harness/kernel"
)

// KernelBoot is how QEMU enters the kernel: its uncompressed vmlinux
// through the PVH entry when the kernel has one (no self-decompression
// before the kernel's clock: 0.3-0.4 s of a TCG boot), else the bzImage.
// Results record Protocol (resultfile.QEMUInfo.Boot).
type KernelBoot struct {
	Path     string // what QEMU's -kernel gets
	Protocol string // "pvh" or "bzimage"
	Why      string // the payload's compression, or why not PVH
}

func kernelBoot(ctx context.Context, cacheDir string, k *kernel.Prepared) (KernelBoot, error) {
	if k.Entry != nil && k.Entry.Local != nil {
		// A tree the user builds (and bisects) changes every step: a
		// 50 MB vmlinux per step in the cache would outweigh 0.35 s a boot.
		return KernelBoot{Path: k.Vmlinuz, Protocol: "bzimage", Why: "a local build boots as built"}, nil
	}
	pvh, err := kernel.PreparePVH(ctx, cacheDir, k)
	switch {
	case err == nil:
		return KernelBoot{Path: pvh.Path, Protocol: "pvh", Why: "vmlinux unpacked from the " + pvh.Format + " bzImage"}, nil
	case errors.Is(err, kernel.ErrNoPVH):
		return KernelBoot{Path: k.Vmlinuz, Protocol: "bzimage", Why: err.Error()}, nil
	default:
		return KernelBoot{}, fmt.Errorf("unpack the kernel for a PVH boot: %w", err)
	}
}

// kernelPath is the file QEMU boots; an Env made without Prepare boots the
// bzImage.
func (env *Env) kernelPath() string {
	if env.KernelBoot.Path != "" {
		return env.KernelBoot.Path
	}
	return env.Kernel.Vmlinuz
}

// bootProtocol is what results record as qemu.boot.
func (env *Env) bootProtocol() string {
	if env.KernelBoot.Protocol != "" {
		return env.KernelBoot.Protocol
	}
	return "bzimage"
}
