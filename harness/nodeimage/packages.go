package nodeimage

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/rolloutlab/rolloutlab/harness/fetch"
	"github.com/rolloutlab/rolloutlab/harness/image"
)

// unpackPackages fetches every pinned .deb (size and SHA-256 verified by
// the fetch store) and unpacks them, in lock order, into one tree.
func unpackPackages(ctx context.Context, cacheDir, mirror string, entries []image.LockEntry, progress io.Writer) (tree, error) {
	store := &fetch.Store{Dir: filepath.Join(cacheDir, "downloads"), Progress: progress}
	t := tree{}
	for _, e := range entries {
		file, err := store.Get(ctx, fetch.Item{URLs: []string{mirror + "/" + e.PoolPath}, SHA256: e.SHA256, Size: e.Size})
		if err != nil {
			return nil, fmt.Errorf("fetch %s %s: %w", e.Package, e.Version, err)
		}
		if err := extractDeb(file, e.Package, t); err != nil {
			return nil, fmt.Errorf("unpack: %w", err)
		}
	}
	return t, nil
}

// treeSize is the bytes of regular files in t (the installed size).
func treeSize(t tree) int64 {
	var n int64
	for _, f := range t {
		n += int64(len(f.data))
	}
	return n
}
