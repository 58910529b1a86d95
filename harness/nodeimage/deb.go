package nodeimage

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// extractDeb unpacks the data member of the .deb at file into t, in pure Go
// (ar + tar + xz/zstd/gzip): no dpkg on the host, no maintainer scripts
// (their work is done by the manifest and the derive steps).
func extractDeb(file, pkg string, t tree) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	data, name, err := debDataMember(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%s (%s): %w", pkg, file, err)
	}
	if err := extractTar(data, name, pkg, t); err != nil {
		return fmt.Errorf("%s (%s): %s: %w", pkg, file, name, err)
	}
	return nil
}

// debDataMember walks the ar archive to the data.tar* member.
func debDataMember(r io.Reader) (io.Reader, string, error) {
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "!<arch>\n" {
		return nil, "", errors.New("not a Debian package (no ar header)")
	}
	hdr := make([]byte, 60)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			return nil, "", fmt.Errorf("no data.tar member: %w", err)
		}
		name := strings.TrimSuffix(strings.TrimSpace(string(hdr[0:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 {
			return nil, "", fmt.Errorf("bad ar member size %q", hdr[48:58])
		}
		if strings.HasPrefix(name, "data.tar") {
			return io.LimitReader(r, size), name, nil
		}
		if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
			return nil, "", fmt.Errorf("skip ar member %s: %w", name, err)
		}
	}
}

func decompressor(r io.Reader, name string) (io.Reader, func(), error) {
	switch {
	case strings.HasSuffix(name, ".xz"):
		xr, err := xz.NewReader(r)
		return xr, func() {}, err
	case strings.HasSuffix(name, ".zst"):
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	case strings.HasSuffix(name, ".gz"):
		gr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return gr, func() { gr.Close() }, nil
	case name == "data.tar":
		return r, func() {}, nil
	}
	return nil, nil, fmt.Errorf("unsupported data member compression %q", name)
}

func extractTar(r io.Reader, name, pkg string, t tree) error {
	dr, done, err := decompressor(r, name)
	if err != nil {
		return err
	}
	defer done()
	tr := tar.NewReader(dr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		// FileInfo maps tar's raw st_mode bits (04000 ...) to Go's; masking
		// h.Mode itself with fs.ModeSetuid dropped setuid and sticky.
		perm := h.FileInfo().Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		switch h.Typeflag {
		case tar.TypeReg:
			var buf bytes.Buffer
			buf.Grow(int(h.Size))
			if _, err := io.Copy(&buf, tr); err != nil {
				return fmt.Errorf("read %s: %w", h.Name, err)
			}
			t.add(h.Name, &fileNode{mode: perm, data: buf.Bytes(), pkg: pkg})
		case tar.TypeSymlink:
			t.add(h.Name, &fileNode{mode: fs.ModeSymlink | 0o777, target: h.Linkname, pkg: pkg})
		case tar.TypeLink:
			// Hard links become copies: the layer stays simple and nothing
			// in the node relies on link counts.
			src, ok := t[canon(h.Linkname)]
			if !ok {
				return fmt.Errorf("hard link %s to missing %s", h.Name, h.Linkname)
			}
			t.add(h.Name, &fileNode{mode: src.mode, data: src.data, pkg: pkg})
		case tar.TypeDir:
			t.add(h.Name, &fileNode{mode: fs.ModeDir | perm, pkg: pkg})
		}
	}
}
