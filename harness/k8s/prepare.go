package k8s

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// Prepared is the initramfs fragment and what went into it.
type Prepared struct {
	Archive     string // gzip cpio to append to the initrd
	ArchiveSize int64
	Binaries    map[string]string // guest name -> host path
	GoVersion   string
}

// Prepare builds etcd, and kube-proxy plus the kube-apiserver that drives it
// (APIServerVersion) for each of versions, then packs them. Every step is cached; a warm run costs seconds.
func Prepare(ctx context.Context, cacheDir string, versions []string, progress io.Writer) (*Prepared, error) {
	if progress == nil {
		progress = io.Discard
	}
	bl := &Builder{CacheDir: cacheDir, Progress: progress}
	gov, err := bl.GoVersion(ctx)
	if err != nil {
		return nil, err
	}
	want := []Binary{Etcd()}
	seen := map[string]bool{}
	for _, v := range versions {
		kp, err := KubeProxy(v)
		if err != nil {
			return nil, err
		}
		api, err := APIServer(scenario.APIServerVersion(v))
		if err != nil {
			return nil, err
		}
		for _, b := range []Binary{kp, api} {
			if !seen[b.Name] {
				seen[b.Name] = true
				want = append(want, b)
			}
		}
	}
	p := &Prepared{Binaries: map[string]string{}, GoVersion: gov}
	for _, b := range want {
		start := time.Now()
		path, err := bl.Build(ctx, b)
		if err != nil {
			return nil, err
		}
		p.Binaries[b.Name] = path
		fmt.Fprintf(progress, "    %s ready after %s\n", b.Name, time.Since(start).Round(time.Second))
	}
	if p.Archive, err = Archive(ctx, cacheDir, p.Binaries); err != nil {
		return nil, err
	}
	st, err := os.Stat(p.Archive)
	if err != nil {
		return nil, err
	}
	p.ArchiveSize = st.Size()
	fmt.Fprintf(progress, "    kubernetes archive %s (%.1f MiB)\n", p.Archive, float64(st.Size())/(1<<20))
	return p, nil
}
