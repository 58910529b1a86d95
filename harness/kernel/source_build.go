package kernel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/fetch"
	"github.com/rolloutlab/rolloutlab/harness/kbuild"
	"github.com/rolloutlab/rolloutlab/kernels"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// builtFiles is what a source build leaves for the common packing step.
type builtFiles struct {
	vmlinuz, config string
	builtinText     string
	fixes           scenario.FixSet // detected in the patched tree
	log             string
}

// buildFromSource handles the source kinds compiled here: "build" (the
// tarball inside a Debian linux-source-X .deb) and "kernel.org" (a plain
// tarball). The entry's patches and config fragments (embedded under
// kernels/) go to kbuild, which builds everything in.
func buildFromSource(ctx context.Context, e *Entry, cacheDir, work string, progress io.Writer, logf func(string, ...any), d deps) (*builtFiles, error) {
	store := newStore(cacheDir, d.client, progress)
	var (
		tarball, tarSHA string
		err             error
	)
	if e.Source == SourceKernelOrg {
		tarball, tarSHA, err = kernelOrgTarball(ctx, e, store, work, logf)
	} else {
		tarball, tarSHA, err = debianSourceTarball(ctx, e, store, work, logf)
	}
	if err != nil {
		return nil, err
	}
	bs := e.Build
	if bs == nil {
		bs = &BuildSpec{} // kernel.org without patches or fragments: tinyconfig alone
	}

	spec := kbuild.Spec{SourceTarball: tarball, SourceSHA256: tarSHA}
	for _, f := range bs.ConfigFragments {
		b, err := fs.ReadFile(kernels.FS, path.Join("config", f))
		if err != nil {
			return nil, fmt.Errorf("config fragment: %w", err)
		}
		// kbuild takes a fragment with a newline as text; keep one for an
		// empty file too.
		spec.ConfigFragments = append(spec.ConfigFragments, "# "+f+"\n"+string(b))
	}
	for i, p := range bs.Patches {
		b, err := fs.ReadFile(kernels.FS, path.Join("patches", p))
		if err != nil {
			return nil, fmt.Errorf("patch: %w", err)
		}
		dst := filepath.Join(work, "patches", fmt.Sprintf("%02d-%s", i, path.Base(p)))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return nil, err
		}
		spec.Patches = append(spec.Patches, dst)
	}
	for i, p := range e.UserPatches {
		dst := filepath.Join(work, "patches", fmt.Sprintf("user-%02d-%s", i, p.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		// The bytes hashed into the key, not the file as it is now.
		if err := os.WriteFile(dst, p.data, 0o644); err != nil {
			return nil, err
		}
		spec.Patches = append(spec.Patches, dst)
	}
	out, err := d.kbuild(ctx, spec, filepath.Join(work, "build"), progress)
	if err != nil {
		return nil, err
	}
	if out.Metadata.KernelRelease != e.UnameR {
		return nil, fmt.Errorf("built kernel reports release %q, catalog uname_r is %q", out.Metadata.KernelRelease, e.UnameR)
	}
	got := scenario.FixSet{scenario.FixA: out.Metadata.Fixes.A, scenario.FixB: out.Metadata.Fixes.B, scenario.FixC: out.Metadata.Fixes.C}
	for id, claim := range e.Fixes {
		if got[id] != claim {
			return nil, fmt.Errorf("catalog says fix %s=%v, the patched source has %s (fixes detected: %s)", id, claim, map[bool]string{true: "it", false: "not"}[got[id]], out.Metadata.Fixes)
		}
	}
	bf := &builtFiles{vmlinuz: out.BzImage, config: out.Config, fixes: got, log: out.Log}
	if out.ModulesBuiltin != "" {
		b, err := os.ReadFile(out.ModulesBuiltin)
		if err != nil {
			return nil, err
		}
		bf.builtinText = string(b)
	}
	return bf, nil
}

// debianSourceTarball fetches e.Build.Source, a Debian linux-source-X
// package, and unpacks the tarball it ships (usr/src/linux-source-X.tar.xz).
func debianSourceTarball(ctx context.Context, e *Entry, store *fetch.Store, work string, logf func(string, ...any)) (tarball, sha string, err error) {
	src := e.Build.Source
	deb, err := store.Get(ctx, fetch.Item{URLs: packageURLs(SourceDebian, *src), SHA256: src.SHA256, Size: src.Size})
	if err != nil {
		return "", "", fmt.Errorf("package %s: %w", src.Package, err)
	}
	written, err := unpackDeb(deb, work, func(name string) (string, bool) {
		ok := strings.HasPrefix(name, "usr/src/linux-source-") && strings.Contains(path.Base(name), ".tar")
		return name, ok
	})
	if err != nil {
		return "", "", err
	}
	if len(written) != 1 {
		return "", "", fmt.Errorf("%s: want one usr/src/linux-source-*.tar.* in the package, found %v", src.Package, written)
	}
	tarball = filepath.Join(work, filepath.FromSlash(written[0]))
	if sha, err = cache.FileSHA256(tarball); err != nil {
		return "", "", err
	}
	logf("source %s unpacked", path.Base(written[0]))
	return tarball, sha, nil
}

// buildInputsHash covers the embedded patches and fragments a build entry
// names, so editing one prepares the kernel anew.
func buildInputsHash(b *BuildSpec) string {
	if b == nil {
		return ""
	}
	h := sha256.New()
	for _, list := range []struct {
		dir   string
		files []string
	}{{"patches", b.Patches}, {"config", b.ConfigFragments}} {
		for _, f := range list.files {
			data, err := fs.ReadFile(kernels.FS, path.Join(list.dir, f))
			fmt.Fprintf(h, "%s/%s %d %v\n", list.dir, f, len(data), err != nil)
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SourceTarball fetches (through the download cache) the source package of
// a Debian-source catalog entry and unpacks its tarball into work: a real
// tree for tools that build one themselves (the bisection check).
func SourceTarball(ctx context.Context, e *Entry, cacheDir, work string, progress io.Writer) (string, error) {
	if e.Source != SourceBuild || e.Build == nil || e.Build.Source == nil {
		return "", fmt.Errorf("kernel %q: not built from a Debian source package", e.Name)
	}
	if progress == nil {
		progress = io.Discard
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(progress, "kernel %s: %s\n", e.Name, fmt.Sprintf(format, args...))
	}
	tarball, _, err := debianSourceTarball(ctx, e, newStore(cacheDir, httpClient(), progress), work, logf)
	return tarball, err
}
