package run

import (
	"context"
	"fmt"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/k8s"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

// KubeProxyMemoryMiB is the least guest memory for the kube-proxy tier:
// etcd, kube-apiserver and kube-proxy plus their unpacked binaries in the
// initramfs need far more than the dataplane tier's default.
const KubeProxyMemoryMiB = 2048

// WithExtra returns a copy of env whose guests also get the given initramfs
// fragments (appended after the kernel modules) and at least minMemMiB of
// memory. The original env, shared by other specs, is left as it was.
func (env *Env) WithExtra(archives []string, minMemMiB int) *Env {
	c := *env
	c.Extra = append(append([]string(nil), env.Extra...), archives...)
	if c.MemoryMiB < minMemMiB {
		c.MemoryMiB = minMemMiB
	}
	return &c
}

// ForCells returns env unchanged when no cell is of the kube-proxy or kind
// tier; otherwise it builds (or finds cached) the Kubernetes binaries, and
// for kind cells the kind assets, and returns a copy of env that carries them.
func (env *Env) ForCells(ctx context.Context, cells []scenario.Cell) (*Env, *k8s.Prepared, error) {
	if len(kindModes(withDefaults(cells))) > 0 && env.Kind == nil {
		a, err := env.PrepareKind(ctx, wire.KindPolicyAuto)
		if err != nil {
			return nil, nil, err
		}
		c := env.WithExtra(nil, KindMemoryMiB)
		c.Kind = a
		env = c
	}
	versions := scenario.KubeProxyVersions(cells)
	if len(versions) == 0 {
		return env, nil, nil
	}
	start := time.Now()
	fmt.Fprintf(env.progress, "==> kubernetes binaries (kube-proxy %v)\n", versions)
	p, err := k8s.Prepare(ctx, env.CacheDir, versions, env.progress)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes binaries: %w", err)
	}
	fmt.Fprintf(env.progress, "    kubernetes binaries done in %s\n", time.Since(start).Round(10*time.Millisecond))
	return env.WithExtra([]string{p.Archive}, KubeProxyMemoryMiB), p, nil
}

// tierOf names the result file's tier: the cells' own when they agree.
func tierOf(cells []scenario.Cell) string {
	var tier scenario.Tier
	for _, c := range cells {
		t := c.WithDefaults().Tier
		if tier != "" && t != tier {
			return "mixed"
		}
		tier = t
	}
	if tier == "" {
		tier = scenario.TierDataplane
	}
	return tier.String()
}

// controlPlaneAllowance is the extra time per kube-proxy cell (unscaled):
// etcd, kube-apiserver and kube-proxy start in the guest for each cell.
func controlPlaneAllowance(cells []scenario.Cell) time.Duration {
	var d time.Duration
	for _, c := range cells {
		if c.WithDefaults().Tier == scenario.TierKubeProxy {
			d += 3 * time.Minute
		}
	}
	return d
}
