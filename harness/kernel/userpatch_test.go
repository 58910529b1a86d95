package kernel

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/scenario"
)

const aPatch = "--- a/net/netfilter/ipvs/ip_vs_core.c\n+++ b/net/netfilter/ipvs/ip_vs_core.c\n@@ -1 +1 @@\n-x\n+y\n"

func writeTestFile(t *testing.T, p, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadUserPatches(t *testing.T) {
	dir := t.TempDir()
	one := writeTestFile(t, filepath.Join(dir, "one.patch"), aPatch)
	writeTestFile(t, filepath.Join(dir, "series", "02-b.diff"), strings.Replace(aPatch, "+y", "+z", 1))
	writeTestFile(t, filepath.Join(dir, "series", "01-a.patch"), aPatch)
	writeTestFile(t, filepath.Join(dir, "series", "README"), "not a patch, not picked up")
	writeTestFile(t, filepath.Join(dir, "notes.txt"), "hello\n")
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}

	ps, err := LoadUserPatches(one + ", " + filepath.Join(dir, "series"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "one.patch 01-a.patch 02-b.diff" {
		t.Errorf("order: %s", got)
	}
	if ps[0].SHA256 != ps[1].SHA256 || ps[0].SHA256 == ps[2].SHA256 || len(ps[0].SHA256) != 64 {
		t.Errorf("hashes follow content: %s %s %s", ps[0].SHA256, ps[1].SHA256, ps[2].SHA256)
	}
	if ps, err := LoadUserPatches(" "); err != nil || len(ps) != 0 {
		t.Errorf("empty value: %v %v", ps, err)
	}
	for in, want := range map[string]string{
		filepath.Join(dir, "missing.patch"): "not found",
		filepath.Join(dir, "empty"):         "no *.patch or *.diff",
		filepath.Join(dir, "notes.txt"):     "not a unified diff",
	} {
		_, err := LoadUserPatches(in)
		var pe *PatchesError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "accepted:") {
			t.Errorf("%s: %v, want a PatchesError with %q", in, err, want)
		}
	}
}

func TestWithPatches(t *testing.T) {
	tarball := []byte("src")
	base := kernelOrgEntry(tarball)
	ps := []UserPatch{{Name: "fix.patch", SHA256: strings.Repeat("a", 64), data: []byte(aPatch)}}
	got, err := base.WithPatches(ps)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Name, base.Name+"+patch-") || len(got.Name) != len(base.Name)+len("+patch-")+8 {
		t.Errorf("name %q", got.Name)
	}
	if got.Fixes != nil || !strings.Contains(got.FixesSource, "fix.patch") || base.Fixes == nil {
		t.Errorf("fixes %v (%s); base keeps %v", got.Fixes, got.FixesSource, base.Fixes)
	}
	if Key(got) == Key(base) {
		t.Error("patches must change the key")
	}
	other := []UserPatch{{Name: "fix.patch", SHA256: strings.Repeat("b", 64)}}
	if o, _ := base.WithPatches(other); Key(o) == Key(got) || o.Name == got.Name {
		t.Error("different patch content must change key and name")
	}
	if same, _ := base.WithPatches(nil); same != base {
		t.Error("no patches: the entry itself")
	}
	bin := &Entry{Name: "6.1", Source: SourceDebian}
	if _, err := bin.WithPatches(ps); err == nil || !strings.Contains(err.Error(), "cannot be patched") {
		t.Errorf("binary kernel: %v", err)
	}
}

// The user's patches reach the build after the catalog's, the claim is
// replaced by what the build detected, and the metadata names them.
func TestPrepareWithUserPatches(t *testing.T) {
	tarball := []byte("fake linux-5.9 source tarball")
	kernelOrgSite(t, tarball)
	dir := t.TempDir()
	ps, err := LoadUserPatches(writeTestFile(t, filepath.Join(dir, "my-fix.patch"), aPatch))
	if err != nil {
		t.Fatal(err)
	}
	e, err := kernelOrgEntry(tarball).WithPatches(ps)
	if err != nil {
		t.Fatal(err)
	}
	// Editing the file after loading must not change what is built.
	writeTestFile(t, filepath.Join(dir, "my-fix.patch"), "changed\n")
	fk := &fakeKbuild{}
	p, err := prepare(context.Background(), e, t.TempDir(), nil, deps{client: httpClient(), kbuild: fk.build})
	if err != nil {
		t.Fatal(err)
	}
	if len(fk.patches) != 2 || !bytes.Equal(fk.patches[1], []byte(aPatch)) || !strings.Contains(fk.spec.Patches[1], "user-00-my-fix.patch") {
		t.Fatalf("patches handed to the build: %q", fk.spec.Patches)
	}
	want := scenario.FixSet{scenario.FixA: false, scenario.FixB: true, scenario.FixC: true} // the fake build's detection
	if len(p.Meta.Fixes) != 3 || p.Meta.Fixes[scenario.FixB] != want[scenario.FixB] || p.Meta.Fixes[scenario.FixA] {
		t.Errorf("fixes %v, want %v", p.Meta.Fixes, want)
	}
	if len(p.Meta.UserPatches) != 1 || p.Meta.UserPatches[0].SHA256 != ps[0].SHA256 {
		t.Errorf("metadata patches %+v", p.Meta.UserPatches)
	}
	if !strings.Contains(p.Dir, "+patch-") {
		t.Errorf("dir %s", p.Dir)
	}
}
