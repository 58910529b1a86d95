package ociimage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rolloutlab/rolloutlab/harness/cache"
)

// AppBinary is where the app image holds the agent (kindtier.AppBinary).
const AppBinary = "rolloutlab"

// App is the kind tier's app image: the guest agent, whose serve and load
// subcommands are the server pods and the client Pod.
type App struct {
	Ref    string // rolloutlab/app:<first 12 hex of the agent's SHA-256>
	Path   string // docker-archive in the cache
	Cached bool
}

// BuildApp writes (or finds in cacheDir) the app image of the agent binary.
// The tag follows the binary's hash, so a changed agent is a new image.
func BuildApp(ctx context.Context, cacheDir, agent string) (*App, error) {
	data, err := os.ReadFile(agent)
	if err != nil {
		return nil, fmt.Errorf("app image: %w", err)
	}
	sum := sha256.Sum256(data)
	short := hex.EncodeToString(sum[:])[:12]
	a := &App{Ref: "rolloutlab/app:" + short, Path: filepath.Join(cacheDir, "kind-app", short, "app.tar")}
	if _, err := os.Stat(a.Path); err == nil {
		a.Cached = true
		return a, nil
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Dir(a.Path)), 0o755); err != nil {
		return nil, err
	}
	img, err := Image(map[string][]byte{AppBinary: data}, []string{"/" + AppBinary})
	if err != nil {
		return nil, err
	}
	err = cache.Publish(ctx, filepath.Dir(a.Path), func(tmp string) error {
		return WriteArchive(filepath.Join(tmp, "app.tar"), a.Ref, img)
	})
	if err != nil {
		return nil, fmt.Errorf("app image: %w", err)
	}
	return a, nil
}
