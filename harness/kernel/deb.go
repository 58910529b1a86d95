package kernel

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// A .deb is an ar archive: debian-binary, control.tar.*, data.tar.*. We read
// it in Go rather than calling dpkg-deb so the harness runs on hosts without
// dpkg (Fedora, macOS CI helpers).

// unpackDeb extracts from the .deb at debPath the regular files of its data
// archive for which keep(name) returns a destination name (relative, slash
// separated), writing them under dir. Names are cleaned first ("./usr/x" ->
// "usr/x"). It returns the destination names written.
func unpackDeb(debPath, dir string, keep func(name string) (dst string, ok bool)) ([]string, error) {
	f, err := os.Open(debPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, member, err := findDataMember(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", debPath, err)
	}
	r, err := decompressor(member, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", debPath, member, err)
	}
	defer r.Close()
	var written []string
	tr := tar.NewReader(r)
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

// findDataMember walks the ar archive to the data.tar.* member and returns
// a reader limited to it and its name.
func findDataMember(r io.Reader) (io.Reader, string, error) {
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "!<arch>\n" {
		return nil, "", errors.New("not a .deb (no ar header)")
	}
	hdr := make([]byte, 60)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			if err == io.EOF {
				return nil, "", errors.New("no data.tar member")
			}
			return nil, "", fmt.Errorf("read ar header: %w", err)
		}
		if string(hdr[58:60]) != "`\n" {
			return nil, "", errors.New("corrupt ar header")
		}
		name := strings.TrimSuffix(strings.TrimSpace(string(hdr[0:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 {
			return nil, "", fmt.Errorf("ar member %q: bad size %q", name, hdr[48:58])
		}
		if strings.HasPrefix(name, "data.tar") {
			return io.LimitReader(r, size), name, nil
		}
		if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil { // members are 2-byte aligned
			return nil, "", fmt.Errorf("skip ar member %q: %w", name, err)
		}
	}
}

// decompressor picks the reader for a data.tar.<ext> member.
func decompressor(member string, r io.Reader) (io.ReadCloser, error) {
	switch path.Ext(member) {
	case ".tar":
		return io.NopCloser(r), nil
	case ".xz":
		x, err := xz.NewReader(r)
		return io.NopCloser(x), err
	case ".zst":
		z, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		return z.IOReadCloser(), nil
	case ".gz":
		return gzip.NewReader(r)
	case ".bz2":
		return io.NopCloser(bzip2.NewReader(r)), nil
	}
	return nil, fmt.Errorf("unsupported compression %q", path.Ext(member))
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
