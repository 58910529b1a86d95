package kernel

import (
	"fmt"
	"io"
	"path"
	"slices"
	"time"

	"github.com/cavaliergopher/cpio"
	"github.com/klauspost/compress/gzip"
)

// archiveFile is one regular file of the modules archive.
type archiveFile struct {
	Name string // relative, slash separated: usr/lib/modules/<u>/...
	Data []byte
}

// writeCPIOGz writes files as a gzip-compressed newc cpio archive, the
// format Linux unpacks as an initramfs (and accepts concatenated to others).
// Parent directories are emitted first; times are zero so the archive is a
// function of its content.
func writeCPIOGz(w io.Writer, files []archiveFile) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	cw := cpio.NewWriter(zw)
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b archiveFile) int {
		if a.Name < b.Name {
			return -1
		} else if a.Name > b.Name {
			return 1
		}
		return 0
	})
	dirs := map[string]bool{".": true, "/": true}
	var mkdirs func(dir string) error
	mkdirs = func(dir string) error {
		if dirs[dir] {
			return nil
		}
		if err := mkdirs(path.Dir(dir)); err != nil {
			return err
		}
		dirs[dir] = true
		return cw.WriteHeader(&cpio.Header{Name: dir, Mode: cpio.TypeDir | 0o755, Links: 2, ModTime: time.Unix(0, 0)})
	}
	for _, f := range files {
		if err := mkdirs(path.Dir(f.Name)); err != nil {
			return fmt.Errorf("cpio: %w", err)
		}
		hdr := &cpio.Header{Name: f.Name, Mode: cpio.TypeReg | 0o644, Size: int64(len(f.Data)), ModTime: time.Unix(0, 0)}
		if err := cw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("cpio %s: %w", f.Name, err)
		}
		if _, err := cw.Write(f.Data); err != nil {
			return fmt.Errorf("cpio %s: %w", f.Name, err)
		}
	}
	if err := cw.Close(); err != nil {
		return fmt.Errorf("cpio: %w", err)
	}
	return zw.Close()
}
