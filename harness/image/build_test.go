package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/debtree/debtest"
)

// fakeMirror serves one .deb holding every file the selection asks for and
// counts requests.
func fakeMirror(t *testing.T) (mirror string, lock []byte, hits *atomic.Int64) {
	t.Helper()
	files := map[string]string{
		"./usr/lib/x86_64-linux-gnu/xtables/libxt_mark.so": "so",
		"./etc/iproute2/rt_tables":                         "255 local\n",
		"./lib64/ld-linux-x86-64.so.2":                     "->/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"./lib/x86_64-linux-gnu/ld-linux-x86-64.so.2":      string(fakeELF("")),
		"./lib/x86_64-linux-gnu/libz.so.1":                 string(fakeELF("")),
	}
	for _, p := range toolPaths {
		files["."+p] = "data of " + p
	}
	files["./usr/sbin/conntrack"] = string(fakeELF("/lib64/ld-linux-x86-64.so.2", "libz.so.1"))
	// ab is left to the bench archive, with the one library the base lacks.
	files["./usr/bin/ab"] = string(fakeELF("/lib64/ld-linux-x86-64.so.2", "libz.so.1", "libssl.so.3"))
	files["./lib/x86_64-linux-gnu/libssl.so.3"] = string(fakeELF(""))
	deb := debtest.Deb(t, "xz", debtest.Files(files)...)
	sum := sha256.Sum256(deb)
	hits = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/debian/pool/main/f/fake/fake_1_amd64.deb" {
			http.NotFound(w, r)
			return
		}
		w.Write(deb)
	}))
	t.Cleanup(srv.Close)
	lock = fmt.Appendf(nil, "fake 1 pool/main/f/fake/fake_1_amd64.deb %d %s\n", len(deb), hex.EncodeToString(sum[:]))
	return srv.URL + "/debian", lock, hits
}

func writeAgent(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "agent")
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildCachesAndIsReproducible(t *testing.T) {
	mirror, lock, hits := fakeMirror(t)
	ctx := context.Background()
	agent := writeAgent(t, "#!/bin/sh\n")
	opt := Options{CacheDir: t.TempDir(), AgentBinary: agent}

	img, err := build(ctx, opt, lock, mirror)
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 {
		t.Fatalf("%d downloads, want 1", hits.Load())
	}
	again, err := build(ctx, opt, lock, mirror)
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 || again.Path != img.Path || again.SHA256 != img.SHA256 {
		t.Fatalf("second build: %d downloads, %+v vs %+v", hits.Load(), again, img)
	}

	// A fresh cache gives the same bytes.
	other, err := build(ctx, Options{CacheDir: t.TempDir(), AgentBinary: agent}, lock, mirror)
	if err != nil {
		t.Fatal(err)
	}
	if other.SHA256 != img.SHA256 || other.Key != img.Key {
		t.Fatalf("not reproducible: %s vs %s", other.SHA256, img.SHA256)
	}

	// Another agent is another image.
	opt.AgentBinary = writeAgent(t, "#!/bin/sh\necho 2\n")
	changed, err := build(ctx, opt, lock, mirror)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Key == img.Key || changed.SHA256 == img.SHA256 {
		t.Fatal("agent change did not change the image")
	}

	// The archive is plain newc (no compression) with the expected layout.
	raw, err := os.ReadFile(img.Path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(raw)) != img.Size {
		t.Fatalf("size %d, Image says %d", len(raw), img.Size)
	}
	if !bytes.HasPrefix(raw, []byte("070701")) {
		t.Fatalf("archive starts %q, want a newc header", raw[:min(6, len(raw))])
	}
	got, _ := readCPIO(t, bytes.NewReader(raw))
	for name, want := range map[string]string{
		"init": "#!/bin/sh\n", "bin": "usr/bin", "lib64": "usr/lib64", "var/run": "../run",
		"usr/bin/sh": "busybox", "usr/bin/modprobe": "busybox", "usr/sbin/iptables": "xtables-nft-multi",
		"usr/lib64/ld-linux-x86-64.so.2": "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	} {
		if got[name].body != want {
			t.Errorf("%s = %q, want %q", name, got[name].body, want)
		}
	}
	for _, name := range []string{"usr/lib/x86_64-linux-gnu/libz.so.1", "usr/lib/x86_64-linux-gnu/xtables/libxt_mark.so", "run/netns", "proc", "etc/nsswitch.conf", "dev/console"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	// The kernel's modprobe path must not resolve before the agent runs.
	if e, ok := got["usr/sbin/modprobe"]; ok {
		t.Errorf("usr/sbin/modprobe in the image (-> %q): the kernel would run it while it boots", e.body)
	}
	if got["usr/sbin/ip"].body != "data of /sbin/ip" || got["usr/bin/ip"].body != "" {
		t.Errorf("ip must be iproute2's, never a busybox applet: %q %q", got["usr/sbin/ip"].body, got["usr/bin/ip"].body)
	}
}

func TestBuildRebuildsDamagedEntry(t *testing.T) {
	mirror, lock, _ := fakeMirror(t)
	opt := Options{CacheDir: t.TempDir(), AgentBinary: writeAgent(t, "x")}
	img, err := build(context.Background(), opt, lock, mirror)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(img.Path, []byte("truncated"), 0o644)
	again, err := build(context.Background(), opt, lock, mirror)
	if err != nil {
		t.Fatal(err)
	}
	if again.SHA256 != img.SHA256 {
		t.Fatal("damaged cache entry not rebuilt")
	}
}

func TestBuildErrors(t *testing.T) {
	mirror, lock, _ := fakeMirror(t)
	if _, err := build(context.Background(), Options{CacheDir: t.TempDir()}, lock, mirror); err == nil {
		t.Error("missing agent accepted")
	}
	bad := bytes.Replace(lock, []byte("fake 1"), []byte("fake 1 extra"), 1)
	if _, err := build(context.Background(), Options{CacheDir: t.TempDir(), AgentBinary: writeAgent(t, "x")}, bad, mirror); err == nil {
		t.Error("bad lock accepted")
	}
}

// ab is not in the base image (the kernel unpacks every byte of it on every
// boot); the bench archive holds it and only the libraries the base lacks.
func TestBenchFilesAreWhatTheBaseLacks(t *testing.T) {
	mirror, lock, _ := fakeMirror(t)
	entries, err := ParseLock(lock)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := Unpack(context.Background(), t.TempDir(), mirror, entries, nil)
	if err != nil {
		t.Fatal(err)
	}
	base, _, err := selectFiles(tree, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range base {
		if e.name == "usr/bin/ab" || strings.HasSuffix(e.name, "libssl.so.3") {
			t.Errorf("base image holds %s", e.name)
		}
	}
	bench, err := selectBenchFiles(tree)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range bench {
		names = append(names, e.name)
	}
	if want := []string{"usr/bin/ab", "usr/lib/x86_64-linux-gnu/libssl.so.3"}; !slices.Equal(names, want) {
		t.Errorf("bench files %v, want %v (ld-linux and libz are the base's)", names, want)
	}
}
