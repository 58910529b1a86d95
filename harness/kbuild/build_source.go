package kbuild

import (
	"context"
	"os"
	"path/filepath"
)

func (b *buildRun) verifySource(context.Context) error {
	b.p.printf("verifying %s", filepath.Base(b.spec.SourceTarball))
	return verifySHA256(b.spec.SourceTarball, b.md.SourceSHA256)
}

func (b *buildRun) unpackSource(ctx context.Context) error {
	b.p.printf("unpacking source")
	unpackDir := filepath.Join(b.tmp, "src")
	if err := os.Mkdir(unpackDir, 0o755); err != nil {
		return err
	}
	if err := runCmd(ctx, unpackDir, nil, b.log, "tar", "-xf", mustAbs(b.spec.SourceTarball)); err != nil {
		return err
	}
	src, err := sourceRoot(unpackDir)
	if err != nil {
		return err
	}
	b.src = src
	return nil
}

// applyPatches applies the very bytes that were hashed into the cache key.
func (b *buildRun) applyPatches(ctx context.Context) error {
	for _, pp := range b.spec.Patches {
		b.p.printf("patch %s", filepath.Base(pp))
	}
	return applyPatches(ctx, b.src, b.spec.Patches, b.patchTexts)
}

// detectFixes records which IPVS fixes the patched tree carries. It never
// fails the build: not every tree has IPVS sources in the expected shape,
// and the build itself does not depend on this.
func (b *buildRun) detectFixes(context.Context) error {
	fixes, err := DetectFixes(b.src)
	if err != nil {
		b.p.printf("fix detection: %v", err)
		return nil
	}
	b.md.Fixes = fixes
	b.p.printf("IPVS fixes present after patches: %s", fixes)
	return nil
}
