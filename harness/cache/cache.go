// Package cache locates the harness's cache directory and publishes
// directories into it atomically, so an interrupted download, build or image
// assembly never leaves a half-filled entry behind.
package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// EnvDir overrides the cache location.
const EnvDir = "ROLLOUTLAB_CACHE"

// Dir returns the cache root: $ROLLOUTLAB_CACHE, else <user cache dir>/rolloutlab.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set %s): %w", EnvDir, err)
	}
	return filepath.Join(base, "rolloutlab"), nil
}

// Lock takes an exclusive cross-process lock named after path (path+".lock"),
// waiting until ctx ends. Two runs preparing the same entry serialise here.
func Lock(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create cache dir: %w", err)
	}
	l := flock.New(path + ".lock")
	ok, err := l.TryLockContext(ctx, 200*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("lock %s: not acquired", path)
	}
	return func() { _ = l.Unlock() }, nil
}

// Publish fills a cache directory atomically: fill is called with a fresh
// temporary directory beside final; only if it succeeds is that directory
// renamed to final. If final already exists, Publish does nothing: entries are
// keyed by content, so an existing one is complete by construction.
func Publish(ctx context.Context, final string, fill func(tmp string) error) error {
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	unlock, err := Lock(ctx, final)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(final); err == nil {
		return nil // someone else published it while we waited
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-")
	if err != nil {
		return fmt.Errorf("create temporary dir for %s: %w", final, err)
	}
	defer os.RemoveAll(tmp) // no-op after a successful rename
	if err := fill(tmp); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted before publishing %s: %w", final, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("publish %s: %w", final, err)
	}
	return nil
}

// WriteFileAtomic writes data to path through a temporary file and rename, so
// readers see either the old file or the complete new one.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), perm); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// ReadMeta parses the JSON metadata file name of the cache entry dir into
// v; the caller then checks the entry's payload against it.
func ReadMeta(dir, name string, v any) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parse %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}
