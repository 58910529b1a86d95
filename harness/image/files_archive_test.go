package image

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/cavaliergopher/cpio"
)

func TestFilesArchive(t *testing.T) {
	dir := t.TempDir()
	exe, data := filepath.Join(dir, "x.test"), filepath.Join(dir, "d.txt")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := FilesArchive(map[string]string{"/opt/t/x.test": exe, "/bin/d.txt": data})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readCPIO(t, zr)
	if e := got["opt/t/x.test"]; e.mode != cpio.TypeReg|0o755 || e.body != "#!/bin/sh\n" {
		t.Errorf("executable: %+v", e)
	}
	if e := got["usr/bin/d.txt"]; e.mode != cpio.TypeReg|0o644 || e.body != "hi" {
		t.Errorf("data under merged /bin: %+v", e)
	}
	if _, ok := got["bin"]; ok {
		t.Error("a top-level bin entry would replace the base image's symlink")
	}
	if e := got["opt/t"]; e.mode != cpio.TypeDir|0o755 {
		t.Errorf("parent dir: %+v", e)
	}
	if _, err := FilesArchive(map[string]string{"/opt/../x": exe}); err == nil {
		t.Error("unclean path accepted")
	}
	if _, err := FilesArchive(map[string]string{"/opt/x": filepath.Join(dir, "missing")}); err == nil {
		t.Error("missing file accepted")
	}
}
