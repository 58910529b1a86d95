package kernel

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// unpackDeb extracts from the .deb at debPath the regular files of its data
// archive for which keep(name) returns a destination name (relative, slash
// separated), writing them under dir; the .deb is read by debtree.DataTar,
// in Go, so hosts without dpkg work. Names are cleaned first ("./usr/x" ->
// "usr/x"). It returns the destination names written.
func unpackDeb(debPath, dir string, keep func(name string) (dst string, ok bool)) ([]string, error) {
	f, err := os.Open(debPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr, member, done, err := debtree.DataTar(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", debPath, err)
	}
	defer done()
	var written []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return written, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", debPath, member, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue // directories are made as needed; links are not needed
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		dst, ok := keep(name)
		if !ok {
			continue
		}
		if !filepath.IsLocal(dst) {
			return nil, fmt.Errorf("%s: refusing to write %q outside the unpack dir", debPath, dst)
		}
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(dst)), tr); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", debPath, name, err)
		}
		written = append(written, dst)
	}
}

// decompressModule returns the plain ELF of a module file named with its
// compression suffix (.ko, .ko.xz, .ko.zst, .ko.gz).
func decompressModule(name string, data []byte) ([]byte, error) {
	var r io.Reader
	switch {
	case strings.HasSuffix(name, ".ko"):
		return data, nil
	case strings.HasSuffix(name, ".ko.xz"):
		x, err := xz.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r = x
	case strings.HasSuffix(name, ".ko.zst"):
		z, err := zstd.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer z.Close()
		r = z
	case strings.HasSuffix(name, ".ko.gz"):
		g, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r = g
	default:
		return nil, fmt.Errorf("%s: not a kernel module file name", name)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decompress %s: %w", name, err)
	}
	return out, nil
}

func writeFile(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
