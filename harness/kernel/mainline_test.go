package kernel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

func resolveMainlineEntry(t *testing.T, query string) *Entry {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Resolve(query)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", query, err)
	}
	if e.Source != SourceUbuntuMainline || e.mainline == nil || e.UnameR != "" || len(e.Packages) != 0 {
		t.Fatalf("Resolve(%q) = %+v, want an unresolved ubuntu-mainline entry", query, e)
	}
	e.Modules = []string{"foo", "builtin_mod", "nope"}
	return e
}

func TestPrepareMainline(t *testing.T) {
	site := newUbuntuSite()
	image, modules := site.add(t, build59())
	serveUbuntu(t, site)
	e := resolveMainlineEntry(t, "5.9")
	if e.Name != "mainline-5.9" || e.Release != "5.9.0" {
		t.Errorf("entry %s release %s", e.Name, e.Release)
	}
	cacheDir := t.TempDir()
	var log bytes.Buffer
	p, err := Prepare(context.Background(), e, cacheDir, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	const uname = "5.9.0-050900-generic"
	if p.UnameR != uname || p.Entry.UnameR != uname || e.UnameR != "" {
		t.Errorf("uname %q, entry uname %q, asked entry %q (must stay untouched)", p.UnameR, p.Entry.UnameR, e.UnameR)
	}
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	want := []Package{
		{Package: "linux-image-unsigned-" + uname, Version: "5.9.0-050900.202010112230",
			Path: "v5.9/amd64/linux-image-unsigned-" + uname + "_5.9.0-050900.202010112230_amd64.deb", Size: int64(len(image)), SHA256: sum(image)},
		{Package: "linux-modules-" + uname, Version: "5.9.0-050900.202010112230",
			Path: "v5.9/amd64/linux-modules-" + uname + "_5.9.0-050900.202010112230_amd64.deb", Size: int64(len(modules)), SHA256: sum(modules)},
	}
	if !reflect.DeepEqual(p.Entry.Packages, want) || !reflect.DeepEqual(p.Meta.Packages, want) {
		t.Errorf("packages:\n got %+v\nwant %+v", p.Entry.Packages, want)
	}
	if b, _ := os.ReadFile(p.Vmlinuz); string(b) != "VMLINUZ "+uname {
		t.Errorf("vmlinuz = %q", b)
	}
	if !reflect.DeepEqual(p.Modules, []string{"bar_baz", "foo", "builtin_mod"}) || !reflect.DeepEqual(p.Missing, []string{"nope"}) {
		t.Errorf("modules %v missing %v", p.Modules, p.Missing)
	}
	files, _ := readCPIOGz(t, p.ModulesArchive)
	if _, ok := files["usr/lib/modules/"+uname+"/kernel/net/foo.ko"]; !ok {
		t.Errorf("archive lacks foo.ko: %v", slices.Sorted(func(y func(string) bool) {
			for k := range files {
				if !y(k) {
					return
				}
			}
		}))
	}
	if !reflect.DeepEqual(p.Meta.Fixes, scenario.FixSet{"A": true, "B": true, "C": false}) || !strings.HasPrefix(p.Meta.FixesSource, "by version, not verified") {
		t.Errorf("fixes %v from %q", p.Meta.Fixes, p.Meta.FixesSource)
	}
	for _, h := range site.requests() {
		if strings.Contains(h, "lowlatency") || strings.Contains(h, "headers") || strings.Contains(h, "arm64") {
			t.Errorf("fetched a package it does not need: %s", h)
		}
	}

	// The next run needs no network at all: the pins and the prepared
	// directory are in the cache.
	t.Setenv(EnvUbuntuMainlineMirror, "http://127.0.0.1:1/unreachable")
	n := len(site.requests())
	log.Reset()
	p2, err := Prepare(context.Background(), resolveMainlineEntry(t, "5.9"), cacheDir, &log)
	if err != nil || p2.Dir != p.Dir || len(site.requests()) != n {
		t.Fatalf("second run: %v, dir %s vs %s, %d new requests\n%s", err, p2.Dir, p.Dir, len(site.requests())-n, log.String())
	}
	if !strings.Contains(log.String(), "pinned by") || !strings.Contains(log.String(), "cached in") {
		t.Errorf("second run log:\n%s", log.String())
	}
}

// Layouts Ubuntu has used: .debs directly in the version directory (older
// builds), CHECKSUMS in the version directory naming amd64/ files, and
// release candidates.
func TestPrepareMainlineLayouts(t *testing.T) {
	tests := []struct {
		query string
		build mainlineBuild
		fixes scenario.FixSet
	}{
		{"4.19.220", mainlineBuild{dir: "v4.19.220", uname: "4.19.220-0419220-generic", stamp: "4.19.220-0419220.202112081030"}, scenario.FixSet{}},
		{"v5.4", mainlineBuild{dir: "v5.4", uname: "5.4.0-050400-generic", stamp: "5.4.0-050400.201911242031", amd64: true, sumsUp: true}, scenario.FixSet{"A": false, "B": false, "C": false}},
		{"6.13-rc2", mainlineBuild{dir: "v6.13-rc2", uname: "6.13.0-061300rc2-generic", stamp: "6.13.0-061300rc2.202412082141", amd64: true}, scenario.FixSet{"A": true, "B": true, "C": true}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			site := newUbuntuSite()
			site.add(t, tt.build)
			serveUbuntu(t, site)
			var log bytes.Buffer
			p, err := Prepare(context.Background(), resolveMainlineEntry(t, tt.query), t.TempDir(), &log)
			if err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			if p.UnameR != tt.build.uname || len(p.Entry.Packages) != 2 {
				t.Errorf("uname %q, packages %+v", p.UnameR, p.Entry.Packages)
			}
			if !reflect.DeepEqual(p.Entry.Fixes, tt.fixes) {
				t.Errorf("fixes %v, want %v (%s)", p.Entry.Fixes, tt.fixes, p.Entry.FixesSource)
			}
		})
	}
}

func TestPrepareMainlineLocalDirectory(t *testing.T) {
	site := newUbuntuSite()
	site.add(t, build59())
	dir := t.TempDir()
	site.writeTo(t, dir)
	t.Setenv(EnvUbuntuMainlineMirror, dir) // a path, no scheme
	p, err := Prepare(context.Background(), resolveMainlineEntry(t, "5.9"), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.UnameR != build59().uname || p.Entry.Packages[0].Size <= 0 {
		t.Errorf("uname %q packages %+v", p.UnameR, p.Entry.Packages)
	}
}

// regularFiles lists the files under dir other than lock files.
func regularFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".lock") {
			out = append(out, p)
		}
		return err
	})
	return out
}

func TestPrepareMainlineChecksumMismatch(t *testing.T) {
	site := newUbuntuSite()
	site.add(t, build59())
	// The mirror serves an image other than the one CHECKSUMS lists.
	for p := range site.files {
		if strings.Contains(p, "linux-image-unsigned-5.9.0-050900-generic") {
			site.files[p] = append(site.files[p], 0)
		}
	}
	serveUbuntu(t, site)
	cacheDir := t.TempDir()
	_, err := Prepare(context.Background(), resolveMainlineEntry(t, "5.9"), cacheDir, nil)
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), "linux-image-unsigned-5.9.0-050900-generic") {
		t.Fatalf("err = %v, want a checksum mismatch for the image", err)
	}
	// The image is fetched first: nothing at all may remain.
	if left := regularFiles(t, cacheDir); len(left) > 0 {
		t.Errorf("a failed download left files in the cache: %v", left)
	}
}

func TestPrepareMainlineChecksumModules(t *testing.T) {
	site := newUbuntuSite()
	site.add(t, build59())
	// Same size, other bytes: only the sha256 from CHECKSUMS can tell.
	for p := range site.files {
		if strings.Contains(p, "linux-modules-5.9.0-050900-generic") {
			b := slices.Clone(site.files[p])
			b[len(b)-1] ^= 0xff
			site.files[p] = b
		}
	}
	serveUbuntu(t, site)
	cacheDir := t.TempDir()
	_, err := Prepare(context.Background(), resolveMainlineEntry(t, "5.9"), cacheDir, nil)
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), "linux-modules-5.9.0-050900-generic") {
		t.Fatalf("err = %v, want a checksum mismatch for the modules package", err)
	}
	for _, f := range regularFiles(t, cacheDir) {
		// The image verified and may stay (content-addressed); nothing else.
		if filepath.Dir(f) != filepath.Join(cacheDir, "downloads") {
			t.Errorf("left behind: %s", f)
		}
	}
	if _, err := os.Stat(mainlinePinsPath(cacheDir, kernelVersion{Major: 5, Minor: 9})); !os.IsNotExist(err) {
		t.Errorf("pins recorded for a kernel that failed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cacheDir, "kernels")); err == nil {
		if ents, _ := os.ReadDir(filepath.Join(cacheDir, "kernels")); len(ents) > 0 {
			for _, e := range ents {
				if !strings.HasSuffix(e.Name(), ".lock") {
					t.Errorf("kernels/%s published", e.Name())
				}
			}
		}
	}
}

// closedAddr is a local address nothing listens on: connecting fails at
// once, as a mirror does on a machine without network.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestPrepareMainlineUnreachable(t *testing.T) {
	a, b := "http://"+closedAddr(t)+"/mainline", "http://"+closedAddr(t)+"/mirror"
	t.Setenv(EnvUbuntuMainlineMirror, a+", "+b+"/")
	start := time.Now()
	_, err := Prepare(context.Background(), resolveMainlineEntry(t, "5.9"), t.TempDir(), nil)
	var me *MirrorError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a *MirrorError", err)
	}
	if !me.Unreachable() || len(me.Tried) != 2 || me.Tried[0].URL != a+"/v5.9/" || me.Tried[1].URL != b+"/v5.9/" {
		t.Errorf("unreachable %v, tried %+v", me.Unreachable(), me.Tried)
	}
	msg := err.Error()
	for _, want := range []string{
		`prepare kernel "mainline-5.9": Ubuntu mainline kernel 5.9: mirror unreachable; tried:`,
		"\n  " + a + "/v5.9/: dial tcp ", "\n  " + b + "/v5.9/: dial tcp ",
		EnvUbuntuMainlineMirror + " to a local directory", "laid out like https://kernel.ubuntu.com/mainline",
		"v5.9/amd64/ holding CHECKSUMS", "linux-image-unsigned-<uname>_*_amd64.deb", "kernels/catalog.json",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	t.Logf("unreachable:\n%s", msg)
}

// A version the mirror does not have fails naming the URL asked; 99.1 is
// too odd for Resolve (it fails offline there), so the entry is made
// directly.
func TestPrepareMainlineNoSuchVersion(t *testing.T) {
	site := newUbuntuSite()
	site.add(t, build59())
	base := serveUbuntu(t, site)
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*Entry{c.mainlineEntry(kernelVersion{Major: 99, Minor: 1}), resolveMainlineEntry(t, "5.8.99")} {
		_, err := Prepare(context.Background(), e, t.TempDir(), nil)
		var me *MirrorError
		if !errors.As(err, &me) || me.Unreachable() || len(me.Tried) != 1 || me.Tried[0].Status != 404 {
			t.Fatalf("%s: err = %v, want a *MirrorError with one 404", e.Name, err)
		}
		dir := "/v" + strings.TrimPrefix(e.Name, "mainline-") + "/"
		for _, want := range []string{"no usable build at the mirror", base + dir + ": HTTP 404 Not Found: no build of", "its versions are listed at " + base + "/"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
		t.Logf("%s:\n%v", e.Name, err)
	}
}

func TestPrepareMainlineBadLayout(t *testing.T) {
	site := newUbuntuSite()
	site.add(t, build59())
	delete(site.files, "v5.9/amd64/CHECKSUMS")
	base := serveUbuntu(t, site)
	_, err := Prepare(context.Background(), resolveMainlineEntry(t, "5.9"), t.TempDir(), nil)
	var me *MirrorError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), base+"/v5.9/amd64/CHECKSUMS: HTTP 404") || !strings.Contains(err.Error(), "cannot be verified") {
		t.Errorf("missing CHECKSUMS: %v", err)
	}

	site = newUbuntuSite()
	site.add(t, mainlineBuild{dir: "v5.9", uname: "5.9.0-050900-lowlatency", stamp: "5.9.0-050900.1", amd64: true})
	serveUbuntu(t, site)
	_, err = Prepare(context.Background(), resolveMainlineEntry(t, "5.9"), t.TempDir(), nil)
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "no linux-image-unsigned-5.9.0-*-generic_*_amd64.deb in the index") {
		t.Errorf("no generic image: %v", err)
	}
}
