package kernel

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/rolloutlab/rolloutlab/harness/fetch"
)

// kernelOrgTarball fetches a kernel.org entry's one package, the source
// tarball (e.g. v5.x/linux-5.9.tar.xz relative to the kernel.org mirror),
// verified by its pinned size and sha256.
func kernelOrgTarball(ctx context.Context, e *Entry, store *fetch.Store, work string, logf func(string, ...any)) (tarball, sha string, err error) {
	p := e.Packages[0]
	f, err := store.Get(ctx, fetch.Item{URLs: packageURLs(SourceKernelOrg, p), SHA256: p.SHA256, Size: p.Size})
	if err != nil {
		return "", "", fmt.Errorf("kernel.org tarball %s: %w\nto provide it offline, set %s to a local directory (a path or file:// URL) or an http:// server laid out like %s, holding %s",
			p.Path, err, EnvKernelOrgMirror, defaultKernelOrg, p.Path)
	}
	// The store names files by sha256; kbuild records the tarball's name in
	// its metadata, so hand it the real one. A hard link costs nothing; on
	// another filesystem the store's path does as well.
	if err := os.MkdirAll(work, 0o755); err != nil {
		return "", "", err
	}
	tarball = filepath.Join(work, path.Base(p.Path))
	if err := os.Link(f, tarball); err != nil {
		tarball = f
	}
	logf("source %s verified", path.Base(p.Path))
	return tarball, p.SHA256, nil
}
