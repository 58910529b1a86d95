package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/k8s"
	"github.com/rolloutlab/rolloutlab/harness/kindcluster"
	"github.com/rolloutlab/rolloutlab/harness/nodeimage"
	"github.com/rolloutlab/rolloutlab/harness/ociimage"
	"github.com/rolloutlab/rolloutlab/harness/qemu"
	"github.com/rolloutlab/rolloutlab/harness/steps"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

// KindMemoryMiB is the least guest memory for a kind cluster: dockerd, the
// node (~1.2 GB working set) and the page cache of a ~1 GB node image.
const KindMemoryMiB = 4096

// Waits of the kind tier on KVM; TCG scales them (qemu.TimeoutsFor).
const (
	kindControlPlaneBase = 4 * time.Minute // kubeadm's own default
	kindWaitBase         = 5 * time.Minute // kind --wait, and each later wait
	kindSystemdWaitBase  = 2 * time.Minute // the patched kind's KIND_SYSTEMD_WAIT
	// kindCellBase is the boot time one kind cell needs beyond a dataplane
	// cell (cluster creation, image import, rollout, deletion). Measured
	// under TCG (x3): 21-31 min per cell on 5.10-revert-C, so 15 min cut
	// the second cell of a boot short; 33 m 50 s on 6.1 before its retry,
	// which now reuses the cluster (~12 min more).
	kindCellBase = 15 * time.Minute
	// kindBootBase: docker load of the node image, once per boot (TCG:
	// 2 m 57 s to 4 m 53 s measured).
	kindBootBase = 2 * time.Minute
)

// KindAssets is everything a kind tier boot takes along, built by the host
// from pinned inputs and cached by content.
type KindAssets struct {
	Binaries   *k8s.KindPrepared
	Node       nodeimage.Built
	Components []nodeimage.Built
	EngineRoot *image.EngineRoot
	App        *ociimage.App
	Policy     wire.KindPolicy
}

// PrepareKind builds (or finds) the kind binaries, the node image, the
// engine root and the app image, each a timed step with its progress.
func (env *Env) PrepareKind(ctx context.Context, policy wire.KindPolicy) (*KindAssets, error) {
	if err := policy.Valid(); err != nil {
		return nil, err
	}
	a := &KindAssets{Policy: policy}
	logf := func(f string, args ...any) { fmt.Fprintf(env.progress, "==> "+f+"\n", args...) }
	err := (steps.Runner{Logf: logf}).Run(ctx, []steps.Step{
		{Name: "kind binaries", Run: func(ctx context.Context) (err error) {
			a.Binaries, err = k8s.PrepareKind(ctx, env.CacheDir, k8s.KindOptions{PatchedKind: policy.NeedsSystemdWait()}, env.progress)
			return err
		}},
		{Name: "kind node image", Run: func(ctx context.Context) error {
			r, err := nodeimage.Build(ctx, nodeimage.Options{CacheDir: env.CacheDir, Binaries: kindcluster.NodeImageInputs(a.Binaries.Paths()), Progress: env.progress})
			if err != nil {
				return err
			}
			a.Node, a.Components = *r.Node, r.Components
			fmt.Fprintf(env.progress, "    %s, %.0f MB, cached=%t\n", a.Node.Tags[0], float64(a.Node.Size)/1e6, a.Node.Cached)
			return nil
		}},
		{Name: "engine root", Run: func(ctx context.Context) (err error) {
			a.EngineRoot, err = image.BuildEngineRoot(ctx, env.CacheDir, env.progress)
			return err
		}},
		{Name: "app image", Run: func(ctx context.Context) error {
			agent, err := BuildAgent(ctx, env.CacheDir)
			if err != nil {
				return err
			}
			a.App, err = ociimage.BuildApp(ctx, env.CacheDir, agent)
			return err
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("kind tier: %w", err)
	}
	return a, nil
}

// ClusterImages lists the component images' tags (what the node must hold).
func (a *KindAssets) ClusterImages() []string {
	var out []string
	for _, c := range a.Components {
		out = append(out, c.Tags...)
	}
	return out
}

// scaled multiplies a KVM-based duration by the accelerator's factor.
func (env *Env) scaled(d time.Duration) time.Duration {
	return time.Duration(qemu.TimeoutsFor(env.Accel).Scale * float64(d)).Round(time.Second)
}

// KindSpec is the wire spec of a kind boot over modes.
func (env *Env) KindSpec(a *KindAssets, modes []scenario.ProxyMode, keep bool) wire.KindSpec {
	return wire.KindSpec{NodeImage: a.Node.Tags[0], AppImage: a.App.Ref, Policy: a.Policy,
		Wait: scenario.Duration(env.scaled(kindWaitBase)), SystemdWait: scenario.Duration(env.scaled(kindSystemdWaitBase)),
		Modes: modes, Keep: keep}
}

// KindRoot writes the cluster configs for modes into dir and returns the
// disk root that carries them with the binaries and images.
func (env *Env) KindRoot(a *KindAssets, modes []scenario.ProxyMode, dir string) (*DiskRoot, error) {
	paths := a.Binaries.Paths()
	seed := map[string]string{
		wire.SeedKindNodeImage: a.Node.Path,
		wire.SeedKindAppImage:  a.App.Path,
		wire.SeedKind:          paths[k8s.Kind(false).Name],
		wire.SeedKubectl:       paths["kubectl-"+k8s.CurrentVersion],
	}
	if p, ok := paths[k8s.Kind(true).Name]; ok {
		seed[wire.SeedKindPatched] = p
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, m := range modes {
		// The probes let the API server take 20 min; kubeadm waited only the
		// scaled 12 min under TCG and gave up on one that was still starting
		// (5.10-revert-C, 2026-12-03: "kube-apiserver is not healthy after
		// 12m0s", controller-manager and scheduler healthy).
		cfg, err := kindcluster.Config(string(m), max(env.scaled(kindControlPlaneBase), nodeimage.ControlPlaneProbeBudget))
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, wire.KindConfigSeed(m))
		if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
			return nil, err
		}
		seed[wire.KindConfigSeed(m)] = p
	}
	for name, p := range seed {
		if p == "" {
			return nil, fmt.Errorf("kind tier: no host file for seed %s", name)
		}
	}
	return &DiskRoot{EngineRoot: a.EngineRoot.Path, Seed: seed, Engine: true}, nil
}

// kindModes lists the proxy modes of the kind cells, in first-seen order.
func kindModes(cells []scenario.Cell) []scenario.ProxyMode {
	var out []scenario.ProxyMode
	for _, c := range cells {
		if c.Tier == scenario.TierKind && !slices.Contains(out, c.ProxyMode) {
			out = append(out, c.ProxyMode)
		}
	}
	return out
}

// kindAllowance is the extra boot time of the kind cells (unscaled).
func kindAllowance(cells []scenario.Cell) time.Duration {
	n := 0
	for _, c := range cells {
		if c.Tier == scenario.TierKind {
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return kindBootBase + time.Duration(n)*kindCellBase
}
