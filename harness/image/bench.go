package image

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/vmimages"
)

// BenchFileName is the archive BenchArchive publishes.
const BenchFileName = "bench.cpio"

// BenchArchive returns an initramfs fragment holding benchToolPaths (ab)
// and what of their closure the base image lacks, built from the same
// pinned packages on first use and cached beside the images. Append it
// after the base (run.Env.WithExtra) for `make bench-load`.
func BenchArchive(ctx context.Context, opt Options) (string, error) {
	lock := vmimages.PackagesLock()
	entries, err := ParseLock(lock)
	if err != nil {
		return "", err
	}
	if opt.CacheDir == "" {
		if opt.CacheDir, err = cache.Dir(); err != nil {
			return "", err
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "rolloutlab bench archive\nselection %s\n", selectionVersion)
	h.Write(lock)
	dir := filepath.Join(opt.CacheDir, "images", "bench-"+hex.EncodeToString(h.Sum(nil))[:16])
	path := filepath.Join(dir, BenchFileName)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	err = cache.Publish(ctx, dir, func(tmp string) error {
		t, err := Unpack(ctx, opt.CacheDir, Mirror(), entries, opt.Progress)
		if err != nil {
			return err
		}
		files, err := selectBenchFiles(t)
		if err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(tmp, BenchFileName))
		if err != nil {
			return err
		}
		defer f.Close()
		bw := bufio.NewWriter(f)
		if err := writeCPIO(bw, files); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		logf(opt.Progress, "image: %s (%d files) for the load benchmark\n", BenchFileName, len(files))
		return f.Sync()
	})
	if err != nil {
		return "", fmt.Errorf("image: bench archive: %w", err)
	}
	return path, nil
}
