package kbuild

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

func (b *buildRun) checkPrerequisites(ctx context.Context) error {
	return b.tools.ensure(ctx)
}

// readInputs loads fragments and patches and derives the metadata and cache
// key from them before any work is done.
func (b *buildRun) readInputs(ctx context.Context) error {
	outDir, err := filepath.Abs(b.outDir)
	if err != nil {
		return err
	}
	b.outDir = outDir
	if _, err := os.Lstat(outDir); err == nil {
		return fmt.Errorf("output %s: %w", outDir, fs.ErrExist)
	}
	if b.frags, err = loadFragments(b.spec.ConfigFragments); err != nil {
		return err
	}
	if b.requested, err = requestedConfig(b.frags); err != nil {
		return err
	}
	if b.patchTexts, err = loadPatches(b.spec.Patches); err != nil {
		return err
	}
	compiler, err := CompilerVersion(ctx)
	if err != nil {
		return err
	}
	b.md = Metadata{
		SourceTarball: b.spec.SourceTarball,
		SourceSHA256:  strings.ToLower(b.spec.SourceSHA256),
		Compiler:      compiler,
		Jobs:          runtime.NumCPU(),
	}
	fragTexts := make([][]byte, len(b.frags))
	for i, f := range b.frags {
		fragTexts[i] = f.text
		b.md.Fragments = append(b.md.Fragments, f.name)
	}
	for _, pp := range b.spec.Patches {
		b.md.Patches = append(b.md.Patches, filepath.Base(pp))
	}
	b.md.CacheKey = CacheKey(b.md.SourceSHA256, fragTexts, b.patchTexts, compiler)
	return nil
}

// createWorkspace makes a temp dir beside outDir (same file system, so
// publishing is a rename) with the stage dir and build.log in it.
func (b *buildRun) createWorkspace(context.Context) error {
	if err := os.MkdirAll(filepath.Dir(b.outDir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(b.outDir), "."+filepath.Base(b.outDir)+".tmp-")
	if err != nil {
		return err
	}
	b.tmp = tmp
	b.stage = filepath.Join(tmp, "out")
	if err := os.Mkdir(b.stage, 0o755); err != nil {
		return err
	}
	if b.logFile, err = os.Create(filepath.Join(b.stage, "build.log")); err != nil {
		return err
	}
	b.tail = &tailBuffer{n: 40}
	b.log = io.MultiWriter(b.logFile, b.tail)
	return nil
}

// removeWorkspace is createWorkspace's undo: the source tree and the
// partial output go.
func (b *buildRun) removeWorkspace() {
	if b.logFile != nil {
		b.logFile.Close()
	}
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
}
