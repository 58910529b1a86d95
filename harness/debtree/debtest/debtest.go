// Package debtest builds small .deb files for tests of the code that
// unpacks them.
package debtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Entry is one member of the package's data.tar; a regular file's Size is
// set from Body.
type Entry struct {
	tar.Header
	Body string
}

// Files turns "./path" -> content into entries sorted by path: content
// starting with "->" makes a symlink, "=>" a hard link, anything else a
// 0755 file.
func Files(files map[string]string) []Entry {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Entry
	for _, n := range names {
		c := files[n]
		e := Entry{Header: tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o755}, Body: c}
		if l, ok := strings.CutPrefix(c, "->"); ok && l != "" {
			e = Entry{Header: tar.Header{Name: n, Typeflag: tar.TypeSymlink, Linkname: l, Mode: 0o777}}
		} else if l, ok := strings.CutPrefix(c, "=>"); ok && l != "" {
			e = Entry{Header: tar.Header{Name: n, Typeflag: tar.TypeLink, Linkname: l, Mode: 0o755}}
		}
		out = append(out, e)
	}
	return out
}

// Deb builds a .deb in memory: debian-binary, an odd-length control member
// (so ar padding is exercised) and data.tar.<compression> ("xz", "zst" or
// "gz") holding "./" and then entries in order.
func Deb(t testing.TB, compression string, entries ...Entry) []byte {
	t.Helper()
	var data bytes.Buffer
	var w io.WriteCloser
	switch compression {
	case "xz":
		xw, err := xz.NewWriter(&data)
		if err != nil {
			t.Fatal(err)
		}
		w = xw
	case "zst":
		zw, err := zstd.NewWriter(&data)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	case "gz":
		w = gzip.NewWriter(&data)
	default:
		t.Fatalf("debtest: compression %q", compression)
	}
	tw := tar.NewWriter(w)
	all := append([]Entry{{Header: tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}}}, entries...)
	for _, e := range all {
		h := e.Header
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.Body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	member := func(name string, body []byte) {
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", name, 0, 0, 0, "100644", len(body))
		b.Write(body)
		if len(body)%2 == 1 {
			b.WriteByte('\n')
		}
	}
	member("debian-binary", []byte("2.0\n"))
	member("control.tar.xz", []byte("odd")) // skipped by the reader
	member("data.tar."+compression, data.Bytes())
	return b.Bytes()
}
