package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// ScratchSize is the scratch disk's apparent size: room for docker's
// layers and a kind node image; the file itself stays sparse.
const ScratchSize int64 = 8 << 30

// ScratchSeedDir is the directory on the scratch disk the guest sees at
// wire.SeedMount.
const ScratchSeedDir = "seed"

// Scratch is one boot's writable disk image.
type Scratch struct {
	Path string
}

// Remove deletes the image; safe to call twice.
func (s *Scratch) Remove() error {
	if err := os.Remove(s.Path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove scratch disk: %w", err)
	}
	return nil
}

// NewScratch makes a sparse ext4 image at dir/scratch.ext4 for one boot,
// with seed's files (name -> host file) under seed/. The caller removes it
// after the boot; on error nothing is left behind.
func NewScratch(ctx context.Context, dir string, seed map[string]string) (*Scratch, error) {
	tool, err := MkfsTool(ctx, nil)
	if err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(dir, ".scratch-seed-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	if err := os.Mkdir(filepath.Join(stage, ScratchSeedDir), 0o755); err != nil {
		return nil, err
	}
	for name, src := range seed {
		if name != filepath.Base(name) {
			return nil, fmt.Errorf("scratch seed %q: want a plain file name", name)
		}
		// A hard link costs nothing; fall back to a copy across filesystems.
		dst := filepath.Join(stage, ScratchSeedDir, name)
		if err := os.Link(src, dst); err != nil {
			if err := copyFile(src, dst); err != nil {
				return nil, fmt.Errorf("scratch seed %s: %w", name, err)
			}
		}
	}
	s := &Scratch{Path: filepath.Join(dir, "scratch.ext4")}
	if err := runMkfs(ctx, tool, Mkfs{File: s.Path, Dir: stage, Label: "rl-scratch", SizeBytes: ScratchSize}); err != nil {
		return nil, fmt.Errorf("scratch disk: %w", err)
	}
	return s, nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
