package k8s

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rolloutlab/rolloutlab/harness/cache"
)

// PauseName is the pause binary's guest name.
const PauseName = "pause"

//go:embed pause/main.go
var pauseSource []byte

// pauseBinary describes this project's pause program (pause/main.go). It is
// built from the embedded source, so the harness needs no checkout; the
// source's hash stands in for a module version in the cache key.
func pauseBinary() Binary {
	s := sha256.Sum256(pauseSource)
	return Binary{Name: PauseName, Module: "rolloutlab.local/pause", Version: hex.EncodeToString(s[:])[:12], Package: "."}
}

// BuildPause returns the path of the pause binary, building it on a miss.
func (bl *Builder) BuildPause(ctx context.Context) (string, error) {
	b := pauseBinary()
	gov, err := bl.GoVersion(ctx)
	if err != nil {
		return "", err
	}
	final, bin := bl.binPath(b, gov)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	err = cache.Publish(ctx, final, func(tmp string) error {
		work, err := os.MkdirTemp(tmp, "src-") // inside tmp: gone if the build dies
		if err != nil {
			return err
		}
		defer os.RemoveAll(work) // before tmp is published
		mod := fmt.Sprintf("module %s\n\ngo %s\n", b.Module, goLang(gov))
		if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte(mod), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(work, "main.go"), pauseSource, 0o644); err != nil {
			return err
		}
		return bl.goBuild(ctx, work, b, filepath.Join(tmp, b.Name))
	})
	if err != nil {
		return "", fmt.Errorf("build pause: %w", err)
	}
	sweepStale(final)
	return bin, nil
}
