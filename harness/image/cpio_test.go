package image

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/cavaliergopher/cpio"
)

type readEntry struct {
	mode cpio.FileMode
	body string
	ino  int64
}

func readCPIO(t *testing.T, r io.Reader) (map[string]readEntry, []string) {
	t.Helper()
	cr := cpio.NewReader(r)
	got := map[string]readEntry{}
	var order []string
	for {
		h, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return got, order
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(cr)
		if h.Mode&cpio.TypeSymlink == cpio.TypeSymlink {
			body = []byte(h.Linkname)
		}
		got[h.Name] = readEntry{mode: h.Mode, body: string(body), ino: h.Inode}
		order = append(order, h.Name)
	}
}

func sampleEntries() []cpioEntry {
	return []cpioEntry{
		{name: "usr/bin/busybox", mode: 0o755, data: []byte("bb")},
		{name: "usr/bin/sh", mode: fs.ModeSymlink | 0o777, target: "busybox"},
		{name: "bin", mode: fs.ModeSymlink | 0o777, target: "usr/bin"},
		{name: "tmp", mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{name: "etc/hosts", mode: 0o644, data: []byte("127.0.0.1 localhost\n")},
		{name: "dev/console", mode: fs.ModeDevice | fs.ModeCharDevice | 0o600, dev: [2]uint32{5, 1}},
	}
}

func TestWriteCPIODeterministic(t *testing.T) {
	var a, b bytes.Buffer
	e := sampleEntries()
	if err := writeCPIO(&a, e); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(e)
	if err := writeCPIO(&b, e); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same entries in another order gave different bytes")
	}
	got, order := readCPIO(t, &a)
	if !slices.IsSorted(order) {
		t.Errorf("entries not sorted: %v", order)
	}
	for name, want := range map[string]string{"usr/bin/busybox": "bb", "usr/bin/sh": "busybox", "bin": "usr/bin", "etc/hosts": "127.0.0.1 localhost\n"} {
		if got[name].body != want {
			t.Errorf("%s: body %q, want %q", name, got[name].body, want)
		}
	}
	for _, dir := range []string{"usr", "usr/bin", "etc", "dev"} {
		if got[dir].mode&cpio.TypeDir == 0 || got[dir].mode.Perm() != 0o755 {
			t.Errorf("parent %s: mode %o", dir, got[dir].mode)
		}
	}
	if m := got["tmp"].mode; m&cpio.ModeSticky == 0 || m.Perm() != 0o777 {
		t.Errorf("tmp mode %o, want sticky 0777", m)
	}
	if got["dev/console"].mode&cpio.TypeChar != cpio.TypeChar {
		t.Errorf("dev/console mode %o, want char device", got["dev/console"].mode)
	}
	if got[order[0]].ino != 1 {
		t.Errorf("first inode %d, want 1", got[order[0]].ino)
	}
}

func TestWriteCPIORejects(t *testing.T) {
	for _, e := range [][]cpioEntry{
		{{name: "/abs", mode: 0o644}},
		{{name: "../up", mode: 0o644}},
		{{name: "a", mode: 0o644}, {name: "a", mode: 0o644}},
	} {
		if err := writeCPIO(io.Discard, e); err == nil {
			t.Errorf("%+v accepted", e)
		}
	}
}

func TestRequestArchive(t *testing.T) {
	b, err := RequestArchive(map[string][]byte{
		"/rolloutlab/request.json":     []byte(`{"x":1}`),
		"/lib/modules/6.1/modules.dep": []byte("dep"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, order := readCPIO(t, bytes.NewReader(b))
	if got["rolloutlab/request.json"].body != `{"x":1}` || got["rolloutlab"].mode&cpio.TypeDir == 0 {
		t.Errorf("entries %v", order)
	}
	// A "lib" directory would replace the base image's lib -> usr/lib symlink.
	if _, ok := got["lib"]; ok || got["usr/lib/modules/6.1/modules.dep"].body != "dep" {
		t.Errorf("lib path not moved under usr: %v", order)
	}
	for _, bad := range []string{"", "/", "/a/../../b", "a//b"} {
		if _, err := RequestArchive(map[string][]byte{bad: nil}); err == nil || !strings.Contains(err.Error(), "bad path") {
			t.Errorf("path %q: error %v", bad, err)
		}
	}
}
