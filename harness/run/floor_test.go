package run

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"strconv"
	"testing"
)

// The floor initramfs holds exactly one file, an executable /init.
func TestFloorInitrd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a guest binary")
	}
	dir := t.TempDir()
	path, err := FloorInitrd(context.Background(), t.TempDir(), dir)
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
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for off := 0; off+110 <= len(raw); {
		h := raw[off : off+110]
		if !bytes.HasPrefix(h, []byte("070701")) {
			t.Fatalf("bad cpio header at %d", off)
		}
		field := func(i int) int {
			v, _ := strconv.ParseUint(string(h[6+8*i:14+8*i]), 16, 32)
			return int(v)
		}
		mode, size, nameSize := field(1), field(6), field(11)
		nameEnd := off + 110 + nameSize
		name := string(raw[off+110 : nameEnd-1])
		if name == "TRAILER!!!" {
			break
		}
		names = append(names, name)
		if name == "init" && mode&0o111 == 0 {
			t.Errorf("init mode %o is not executable", mode)
		}
		off = (nameEnd+3)&^3 + size
		off = (off + 3) &^ 3
	}
	if len(names) != 1 || names[0] != "init" {
		t.Errorf("floor initramfs holds %v, want [init]", names)
	}
}
