package kbuild

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// collectOutputs copies the build's products and metadata.json into the
// stage dir and closes build.log: the stage is then complete.
func (b *buildRun) collectOutputs(context.Context) error {
	copies := [][2]string{
		{"arch/x86/boot/bzImage", "bzImage"},
		{".config", "config"},
		{"System.map", "System.map"},
	}
	if b.modules {
		copies = append(copies, [2]string{"modules.builtin", "modules.builtin"},
			[2]string{"modules.builtin.modinfo", "modules.builtin.modinfo"})
	}
	for _, c := range copies {
		if err := copyFile(filepath.Join(b.src, c[0]), filepath.Join(b.stage, c[1])); err != nil {
			return err
		}
	}
	b.md.Durations.Total = time.Since(b.start).Seconds()
	mdJSON, err := json.MarshalIndent(b.md, "", "  ")
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if err := os.WriteFile(filepath.Join(b.stage, "metadata.json"), append(mdJSON, '\n'), 0o644); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	return b.logFile.Close()
}

// publish renames the complete stage to outDir: readers see all of a
// build or none of it. The runner has just checked ctx, so a cancelled
// build never publishes.
func (b *buildRun) publish(context.Context) error {
	if err := os.Rename(b.stage, b.outDir); err != nil {
		return err
	}
	b.out = &Output{
		Dir:          b.outDir,
		BzImage:      filepath.Join(b.outDir, "bzImage"),
		Config:       filepath.Join(b.outDir, "config"),
		SystemMap:    filepath.Join(b.outDir, "System.map"),
		Log:          filepath.Join(b.outDir, "build.log"),
		MetadataFile: filepath.Join(b.outDir, "metadata.json"),
		Metadata:     b.md,
	}
	if b.modules {
		b.out.ModulesBuiltin = filepath.Join(b.outDir, "modules.builtin")
	}
	b.p.printf("done: %s (%s) in %.0fs", b.out.BzImage, b.md.KernelRelease, b.md.Durations.Total)
	return nil
}

// removeWorkTree drops the unpacked source once the output is published.
// It never fails the build: the output is already in place.
func (b *buildRun) removeWorkTree(context.Context) error {
	if err := os.RemoveAll(b.tmp); err != nil {
		b.p.printf("warning: could not remove %s: %v", b.tmp, err)
	}
	return nil
}
