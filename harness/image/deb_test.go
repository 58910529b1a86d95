package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// makeDeb builds a .deb in memory. files maps "./path" to content; an entry
// whose content starts with "->" is a symlink, "=>" a hard link.
func makeDeb(t *testing.T, compression string, files map[string]string) []byte {
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
	default:
		w = gzip.NewWriter(&data)
	}
	tw := tar.NewWriter(w)
	tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755})
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := files[n]
		h := &tar.Header{Name: n, Mode: 0o755, Typeflag: tar.TypeReg, Size: int64(len(c))}
		switch {
		case len(c) > 2 && c[:2] == "->":
			h = &tar.Header{Name: n, Typeflag: tar.TypeSymlink, Linkname: c[2:], Mode: 0o777}
		case len(c) > 2 && c[:2] == "=>":
			h = &tar.Header{Name: n, Typeflag: tar.TypeLink, Linkname: c[2:], Mode: 0o755}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(c))
		}
	}
	tw.Close()
	w.Close()

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
	member("control.tar.xz", []byte("odd")) // skipped, odd length exercises padding
	member("data.tar."+compression, data.Bytes())
	return b.Bytes()
}

func TestExtractDeb(t *testing.T) {
	for _, comp := range []string{"xz", "zst", "gz"} {
		t.Run(comp, func(t *testing.T) {
			deb := filepath.Join(t.TempDir(), "p.deb")
			os.WriteFile(deb, makeDeb(t, comp, map[string]string{
				"./bin/ip":               "IP",
				"./sbin/ip":              "->/bin/ip",
				"./usr/bin/hard":         "=>./bin/ip",
				"./usr/share/doc/p/copy": "c",
			}), 0o644)
			tr := tree{}
			if err := extractDeb(deb, "p", tr); err != nil {
				t.Fatal(err)
			}
			if n := tr["usr/bin/ip"]; n == nil || string(n.data) != "IP" || n.mode != 0o755 {
				t.Fatalf("usr/bin/ip: %+v", n)
			}
			if n := tr["usr/sbin/ip"]; n == nil || n.mode.Type() != fs.ModeSymlink || n.target != "/bin/ip" {
				t.Fatalf("usr/sbin/ip: %+v", n)
			}
			if n := tr["usr/bin/hard"]; n == nil || string(n.data) != "IP" {
				t.Fatalf("hard link: %+v", n)
			}
			if p, n, _, err := tr.resolve("/sbin/ip"); err != nil || p != "usr/bin/ip" || n.pkg != "p" {
				t.Fatalf("resolve /sbin/ip: %s %v", p, err)
			}
		})
	}
}

func TestExtractDebRejectsGarbage(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x.deb")
	os.WriteFile(f, []byte("<html>not found</html>"), 0o644)
	if err := extractDeb(f, "x", tree{}); err == nil {
		t.Fatal("garbage accepted")
	}
}
