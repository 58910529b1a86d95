package k8s

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cavaliergopher/cpio"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// ArchiveName is the file name of the initramfs fragment in its cache entry.
const ArchiveName = "k8s.cpio.gz"

// Archive packs files (guest name -> host path) into a gzip newc cpio under
// usr/local/bin, cached by the files' contents. Only usr/, usr/local/ and
// usr/local/bin/ directory entries are written: a top-level bin, sbin, lib
// or lib64 entry would replace the base image's symlink into /usr.
func Archive(ctx context.Context, cacheDir string, files map[string]string) (string, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		if n == "" || strings.Contains(n, "/") {
			return "", fmt.Errorf("archive: bad binary name %q", n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		sum, err := cache.FileSHA256(files[n])
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %s\n", n, sum)
	}
	final := filepath.Join(cacheDir, "k8s", "archive", hex.EncodeToString(h.Sum(nil))[:16])
	err := cache.Publish(ctx, final, func(tmp string) error {
		f, err := os.Create(filepath.Join(tmp, ArchiveName))
		if err != nil {
			return err
		}
		defer f.Close()
		if err := writeArchive(f, names, files); err != nil {
			return err
		}
		return f.Close()
	})
	if err != nil {
		return "", fmt.Errorf("k8s archive: %w", err)
	}
	return filepath.Join(final, ArchiveName), nil
}

func writeArchive(w io.Writer, names []string, files map[string]string) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed) // the guest unpacks it under TCG: favour speed
	if err != nil {
		return err
	}
	cw := cpio.NewWriter(zw)
	dir := strings.TrimPrefix(scenario.GuestBinDir, "/")
	var parents []string
	for p := dir; p != "."; p = path.Dir(p) {
		parents = append([]string{p}, parents...)
	}
	for _, p := range parents {
		if err := cw.WriteHeader(&cpio.Header{Name: p, Mode: cpio.TypeDir | 0o755}); err != nil {
			return err
		}
	}
	for _, n := range names {
		if err := addFile(cw, path.Join(dir, n), files[n]); err != nil {
			return err
		}
	}
	if err := cw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func addFile(cw *cpio.Writer, name, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := cw.WriteHeader(&cpio.Header{Name: name, Mode: cpio.TypeReg | 0o755, Size: st.Size()}); err != nil {
		return fmt.Errorf("archive %s: %w", name, err)
	}
	if _, err := io.Copy(cw, f); err != nil {
		return fmt.Errorf("archive %s: %w", name, err)
	}
	return nil
}
