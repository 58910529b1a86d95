// Package run turns a kernel name and a request into a finished guest run:
// it prepares the kernel and the guest image, chooses the accelerator,
// boots QEMU and collects what the agent sent back. It is the one entry
// point the CLI and the e2e suite share.
package run

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/kernel"
	"github.com/rolloutlab/rolloutlab/harness/qemu"
	"github.com/rolloutlab/rolloutlab/harness/steps"
)

// Options select what to prepare.
type Options struct {
	Kernel string // user-facing name or version ("6.1", "5.10.223"); "" = default
	// Patches (PATCHES=) go on top of a kernel built from source: files or
	// directories, comma-separated; see kernel.LoadUserPatches.
	Patches   string
	Accel     string // "auto" (default), "kvm" or "tcg"
	CacheDir  string // "" = cache.Dir()
	QEMU      string // binary, default qemu-system-x86_64
	CPUs      int    // per guest, default 2
	MemoryMiB int    // default 1024
	Progress  io.Writer
}

// Env is everything a boot needs, ready on disk.
type Env struct {
	Kernel      *kernel.Prepared
	KernelBoot  KernelBoot // how QEMU enters Kernel (kernelboot.go)
	Image       *image.Image
	Accel       qemu.Accel
	AccelReason string
	QEMUBinary  string
	QEMUVersion string
	CPUs        int
	MemoryMiB   int
	CacheDir    string
	Extra       []string // more initramfs fragments after the modules (see WithExtra)
	// Kind carries the kind tier's assets once ForCells prepared them.
	Kind *KindAssets
	// KindKeep leaves each kind cell's cluster running (debugging).
	KindKeep bool
	// ParallelCells > 1 runs that many dataplane cells side by side in the
	// guest, each on a node namespace of its own (wire.Request.ParallelCells).
	ParallelCells int
	// VM boots the guests; nil means QEMU.
	VM       VM
	progress io.Writer
}

// ResolveKernel checks a kernel name against the catalog without touching
// the network, so a typo fails in milliseconds; a path (KERNEL=~/linux)
// names a kernel the user built, whose config is checked now. Patches
// (PATCHES=, may be "") are read and checked too.
func ResolveKernel(name, patches string) (*kernel.Entry, error) {
	cat, err := kernel.Load()
	if err != nil {
		return nil, err
	}
	var e *kernel.Entry
	if kernel.IsLocalKernel(name) {
		e, err = cat.LocalEntry(name) // reads the tree: its config is checked here
	} else {
		e, err = cat.Resolve(name)
	}
	if err != nil {
		return nil, err
	}
	ps, err := kernel.LoadUserPatches(patches)
	if err != nil {
		return nil, err
	}
	return e.WithPatches(ps)
}

// Prepare resolves the kernel, fetches/unpacks it, builds the agent and the
// guest image, and decides the accelerator. Everything is cached by content.
func Prepare(ctx context.Context, o Options) (*Env, error) {
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	entry, err := ResolveKernel(o.Kernel, o.Patches)
	if err != nil {
		return nil, err
	}
	cacheDir := o.CacheDir
	if cacheDir == "" {
		if cacheDir, err = cache.Dir(); err != nil {
			return nil, err
		}
	}
	env := &Env{CacheDir: cacheDir, progress: progress, QEMUBinary: o.QEMU, CPUs: o.CPUs, MemoryMiB: o.MemoryMiB}
	if env.QEMUBinary == "" {
		env.QEMUBinary = "qemu-system-x86_64"
	}
	if env.CPUs <= 0 {
		env.CPUs = 2
	}
	if env.MemoryMiB <= 0 {
		env.MemoryMiB = 1024
	}
	if env.QEMUVersion, err = qemuVersion(env.QEMUBinary); err != nil {
		return nil, err
	}

	// Ordered steps; each prints its name and duration. Nothing needs an
	// undo: every step publishes into the cache atomically or not at all.
	logf := func(f string, a ...any) { fmt.Fprintf(progress, "==> "+f+"\n", a...) }
	if err := (steps.Runner{Logf: logf}).Run(ctx, []steps.Step{
		{Name: "kernel " + entry.Name, Run: func(ctx context.Context) (err error) {
			if env.Kernel, err = kernel.Prepare(ctx, entry, cacheDir, progress); err != nil {
				return err
			}
			if env.KernelBoot, err = kernelBoot(ctx, cacheDir, env.Kernel); err != nil {
				return err
			}
			fmt.Fprintf(progress, "    boot: %s (%s)\n", env.KernelBoot.Protocol, env.KernelBoot.Why)
			return nil
		}},
		{Name: "guest image", Run: func(ctx context.Context) error {
			agent, err := BuildAgent(ctx, cacheDir)
			if err != nil {
				return err
			}
			env.Image, err = image.Build(ctx, image.Options{CacheDir: cacheDir, AgentBinary: agent, Progress: progress})
			return err
		}},
		{Name: "accelerator", Run: func(ctx context.Context) (err error) {
			env.Accel, env.AccelReason, err = chooseAccel(ctx, env, o.Accel)
			fmt.Fprintf(progress, "    using %s: %s\n", env.Accel, env.AccelReason)
			return err
		}},
	}); err != nil {
		return nil, err
	}
	return env, nil
}

func qemuVersion(bin string) (string, error) {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "", &qemu.InfraError{Op: "find QEMU", Err: fmt.Errorf("%s --version failed (%v); install QEMU with: sudo apt-get install -y --no-install-recommends qemu-system-x86", bin, err)}
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first), nil
}

// BuildAgent compiles the guest agent as a static binary. Go's build cache
// makes an unchanged agent cost about a second; the image is keyed by the
// binary's hash, so only a changed agent rebuilds the image.
func BuildAgent(ctx context.Context, cacheDir string) (string, error) {
	return BuildGuestBinary(ctx, cacheDir, "./vmimages/agent", "agent")
}

// BuildGuestBinary compiles a guest program (a package under vmimages) as
// a static linux/amd64 binary into <cache>/<name>/<name>.
func BuildGuestBinary(ctx context.Context, cacheDir, pkg, name string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(cacheDir, name, name)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp := out + fmt.Sprintf(".tmp-%d", os.Getpid())
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", tmp, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("build guest %s: %w\n%s", name, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}

// ModuleRoot finds the repository (the directory holding our go.mod) from
// the working directory upwards; `go test` runs packages in their own dirs.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/rolloutlab/rolloutlab\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the rolloutlab repository (no go.mod found above the working directory)")
		}
		dir = parent
	}
}
