package run

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"testing"

	"github.com/cavaliergopher/cpio"
)

// The floor initramfs holds exactly one file, an executable /init.
func TestFloorInitrd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a guest binary")
	}
	path, err := FloorInitrd(context.Background(), t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	r := cpio.NewReader(zr)
	var names []string
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Name == "init" && (!h.Mode.IsRegular() || h.Mode.Perm()&0o111 == 0) {
			t.Errorf("init mode %v is not an executable file", h.Mode)
		}
	}
	if len(names) != 1 || names[0] != "init" {
		t.Errorf("floor initramfs holds %v, want [init]", names)
	}
}
