package debtree

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
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

// ExtractDeb unpacks the data member of the .deb at file into t, in pure Go
// (ar + tar + xz/zstd/gzip): no dpkg on the host and no maintainer scripts
// (each image's builder does what they would). What t already holds wins.
func ExtractDeb(file, pkg string, t Tree) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr, name, done, err := DataTar(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("%s (%s): %w", pkg, file, err)
	}
	defer done()
	if err := extractTar(tr, pkg, t); err != nil {
		return fmt.Errorf("%s (%s): %s: %w", pkg, file, name, err)
	}
	return nil
}

// DataTar reads a .deb from r up to its data.tar* member and returns that
// member as a tar stream (decompressed), the member's name, and done, which
// releases the decompressor. It is the one .deb reader: the guest image,
// the kind node image and the kernel packages all go through it.
func DataTar(r io.Reader) (_ *tar.Reader, member string, done func(), _ error) {
	data, member, err := debDataMember(r)
	if err != nil {
		return nil, "", nil, err
	}
	dr, done, err := decompressor(data, member)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", member, err)
	}
	return tar.NewReader(dr), member, done, nil
}

// debDataMember walks the ar archive and returns a reader limited to the
// data.tar* member, and the member's name.
func debDataMember(r io.Reader) (io.Reader, string, error) {
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "!<arch>\n" {
		return nil, "", errors.New("not a Debian package (no ar header)")
	}
	hdr := make([]byte, 60)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			if err == io.EOF {
				return nil, "", errors.New("no data.tar member")
			}
			return nil, "", fmt.Errorf("no data.tar member: %w", err)
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
		// Members are padded to an even length.
		if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
			return nil, "", fmt.Errorf("skip ar member %s: %w", name, err)
		}
	}
}

// decompressor picks the reader for the data member by its name.
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
	case strings.HasSuffix(name, ".bz2"):
		return bzip2.NewReader(r), func() {}, nil
	case name == "data.tar":
		return r, func() {}, nil
	}
	return nil, nil, fmt.Errorf("unsupported data member compression %q", name)
}

func extractTar(tr *tar.Reader, pkg string, t Tree) error {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := Canon(h.Name)
		// FileInfo maps tar's raw st_mode bits (04000 ...) to Go's; masking
		// h.Mode itself with fs.ModeSetuid would drop setuid and sticky.
		perm := h.FileInfo().Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		switch h.Typeflag {
		case tar.TypeReg:
			var buf bytes.Buffer
			buf.Grow(int(h.Size))
			if _, err := io.Copy(&buf, tr); err != nil {
				return fmt.Errorf("read %s: %w", h.Name, err)
			}
			t.Add(p, &Node{Mode: perm, Data: buf.Bytes(), Pkg: pkg})
		case tar.TypeSymlink:
			t.Add(p, &Node{Mode: fs.ModeSymlink | 0o777, Target: h.Linkname, Pkg: pkg})
		case tar.TypeLink:
			// Hard links become independent copies: the image never relies
			// on link counts and the writer stays simple.
			src, ok := t[Canon(h.Linkname)]
			if !ok {
				return fmt.Errorf("hard link %s to missing %s", h.Name, h.Linkname)
			}
			t.Add(p, &Node{Mode: src.Mode, Data: src.Data, Pkg: pkg})
		case tar.TypeDir:
			t.Add(p, &Node{Mode: fs.ModeDir | perm, Pkg: pkg})
		default:
			// Device nodes and fifos: Debian packages ship none (policy);
			// images that need one generate it with Dev set.
		}
	}
}
