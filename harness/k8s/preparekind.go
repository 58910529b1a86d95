package k8s

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// KindOptions picks the optional members of the kind tier's binary set.
type KindOptions struct {
	// PatchedKind adds kind-v0.33.0-rolloutlab1 (KindSystemdWaitPatch). Off
	// by default: whether the node needs a longer wait is a later decision.
	PatchedKind bool
	// Containerd adds containerd v2.1.4 (containerd, containerd-shim-runc-v2,
	// ctr). Off by default: Debian's containerd 1.6 reads kind's config.
	Containerd bool
}

// KindBuilt is one binary of the set as built (or found) on the host.
type KindBuilt struct {
	Binary
	Path      string
	Size      int64
	Static    bool          // no ELF interpreter
	Cached    bool          // found in the cache, nothing built
	BuildTime time.Duration // wall time of this call, build or lookup
}

// KindPrepared is the whole set.
type KindPrepared struct {
	Built     []KindBuilt // in build order
	GoVersion string
}

// Paths maps each guest name to its host path.
func (p *KindPrepared) Paths() map[string]string {
	m := make(map[string]string, len(p.Built))
	for _, b := range p.Built {
		m[b.Name] = b.Path
	}
	return m
}

// KindBinaries lists the set, quick builds first. The pause binary is not
// among them (it is built from this repository's source, see BuildPause).
func KindBinaries(o KindOptions) ([]Binary, error) {
	bs := []Binary{Kind(false)}
	if o.PatchedKind {
		bs = append(bs, Kind(true))
	}
	bs = append(bs, Crictl())
	for _, n := range CNIPluginNames() {
		b, err := CNIPlugin(n)
		if err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	bs = append(bs, CoreDNS(), Etcd())
	for _, c := range KubernetesComponents() {
		b, err := KubernetesComponent(c, CurrentVersion)
		if err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	if o.Containerd {
		for _, c := range []string{"containerd", "containerd-shim-runc-v2", "ctr"} {
			b, err := Containerd(c)
			if err != nil {
				return nil, err
			}
			bs = append(bs, b)
		}
	}
	return bs, nil
}

// PrepareKind builds, or finds in the cache, every binary the kind tier
// needs: Kubernetes CurrentVersion's commands, etcd, kind, crictl, CoreDNS,
// the CNI plugins and pause. Each entry is published atomically by Builder,
// so an interrupted run leaves no half-written binary; a second run builds
// nothing.
func PrepareKind(ctx context.Context, cacheDir string, o KindOptions, progress io.Writer) (*KindPrepared, error) {
	if progress == nil {
		progress = io.Discard
	}
	bl := &Builder{CacheDir: cacheDir, Progress: progress}
	gov, err := bl.GoVersion(ctx)
	if err != nil {
		return nil, err
	}
	bs, err := KindBinaries(o)
	if err != nil {
		return nil, err
	}
	p := &KindPrepared{GoVersion: gov}
	pause, err := prepareOne(bl, pauseBinary(), gov, func() (string, error) { return bl.BuildPause(ctx) })
	if err != nil {
		return nil, err
	}
	p.Built = append(p.Built, pause)
	for _, b := range bs {
		kb, err := prepareOne(bl, b, gov, func() (string, error) { return bl.Build(ctx, b) })
		if err != nil {
			return nil, err
		}
		p.Built = append(p.Built, kb)
	}
	return p, nil
}

func prepareOne(bl *Builder, b Binary, gov string, build func() (string, error)) (KindBuilt, error) {
	_, bin := bl.binPath(b, gov)
	_, statErr := os.Stat(bin)
	start := time.Now()
	path, err := build()
	if err != nil {
		return KindBuilt{}, err
	}
	kb := KindBuilt{Binary: b, Path: path, Cached: statErr == nil, BuildTime: time.Since(start)}
	st, err := os.Stat(path)
	if err != nil {
		return KindBuilt{}, err
	}
	kb.Size = st.Size()
	if kb.Static, err = IsStatic(path); err != nil {
		return KindBuilt{}, err
	}
	fmt.Fprintf(bl.Progress, "    %s ready after %s\n", b.Name, kb.BuildTime.Round(time.Second))
	return kb, nil
}
