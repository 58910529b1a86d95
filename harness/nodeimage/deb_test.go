package nodeimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestExtractDebKeepsSetuidAndSticky(t *testing.T) {
	var data bytes.Buffer
	gz := gzip.NewWriter(&data)
	tw := tar.NewWriter(gz)
	for _, h := range []*tar.Header{
		{Name: "./usr/bin/su", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 2},
		{Name: "./var/tmp/", Typeflag: tar.TypeDir, Mode: 0o1777},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte("su"))
		}
	}
	tw.Close()
	gz.Close()
	var deb bytes.Buffer
	deb.WriteString("!<arch>\n")
	for _, m := range []struct {
		name string
		body []byte
	}{{"debian-binary", []byte("2.0\n")}, {"data.tar.gz", data.Bytes()}} {
		fmt.Fprintf(&deb, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m.name, 0, 0, 0, "100644", len(m.body))
		deb.Write(m.body)
		if len(m.body)%2 == 1 {
			deb.WriteByte('\n')
		}
	}
	file := filepath.Join(t.TempDir(), "p.deb")
	if err := os.WriteFile(file, deb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tr := tree{}
	if err := extractDeb(file, "p", tr); err != nil {
		t.Fatal(err)
	}
	if n := tr["usr/bin/su"]; n == nil || n.mode != fs.ModeSetuid|0o755 {
		t.Errorf("usr/bin/su: %+v, want setuid 0755", n)
	}
	if n := tr["var/tmp"]; n == nil || n.mode != fs.ModeDir|fs.ModeSticky|0o777 {
		t.Errorf("var/tmp: %+v, want sticky dir 0777", n)
	}
}
