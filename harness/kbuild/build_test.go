package kbuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeMake stands in for the kernel's make: it writes a tiny .config for
// tinyconfig, drops CONFIG_DROPME in olddefconfig (like an option whose
// dependency is missing), and produces placeholder build outputs.
const fakeMake = `#!/bin/sh
for a in "$@"; do
  case "$a" in
  tinyconfig) printf '# CONFIG_64BIT is not set\nCONFIG_TINY=y\n' > .config ;;
  olddefconfig) sed -i 's/^CONFIG_DROPME=y$/# CONFIG_DROPME is not set/' .config ;;
  bzImage) [ -n "$FAKE_MAKE_SLEEP" ] && sleep "$FAKE_MAKE_SLEEP"
    echo "  CC      kernel/fake.o"; mkdir -p arch/x86/boot; echo kernel > arch/x86/boot/bzImage; echo map > System.map ;;
  modules) echo kernel/fake.ko > modules.builtin; : > modules.builtin.modinfo ;;
  kernelrelease) echo 5.10.218-fake ;;
  esac
done
`

type fakeKernel struct {
	tarball, sha, patch, outParent string
}

func setupFake(t *testing.T) fakeKernel {
	t.Helper()
	if err := CheckTools(); err != nil {
		t.Skip(err)
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "make"), []byte(fakeMake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	src := t.TempDir()
	root := filepath.Join(src, "linux-fake")
	write := func(rel, text string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Makefile", "# fake\n")
	write(ipvsHeader, hdrFixedA)
	write(ipvsCore, coreFixedC)
	write("net/netfilter/ipvs/ip_vs_ctl.c", ctlWithB)
	fk := fakeKernel{tarball: filepath.Join(t.TempDir(), "linux-fake.tar.gz"), outParent: t.TempDir()}
	if out, err := exec.Command("tar", "-C", src, "-czf", fk.tarball, "linux-fake").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	b, err := os.ReadFile(fk.tarball)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	fk.sha = hex.EncodeToString(sum[:])
	// A patch that turns fix A off the way the real revert does.
	fk.patch = filepath.Join(t.TempDir(), "revert-a.patch")
	patch := "header text\n\n--- a/include/net/ip_vs.h\n+++ b/include/net/ip_vs.h\n@@ -10,3 +10,3 @@\n \tct = nf_ct_get(skb, &ctinfo);\n-\tif (ct && nf_ct_is_confirmed(ct))\n+\tif (ct)\n \t\treturn true;\n"
	if err := os.WriteFile(fk.patch, []byte(patch), 0o644); err != nil {
		t.Fatal(err)
	}
	return fk
}

// onlyEntry asserts parent holds exactly want (or nothing when want is ""):
// no temp dirs may be left behind.
func onlyEntry(t *testing.T, parent, want string) {
	t.Helper()
	ents, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if (want == "" && len(names) != 0) || (want != "" && (len(names) != 1 || names[0] != want)) {
		t.Errorf("%s holds %v, want only %q", parent, names, want)
	}
}

func TestBuildFake(t *testing.T) {
	fk := setupFake(t)
	out := filepath.Join(fk.outParent, "k")
	var prog strings.Builder
	spec := Spec{
		SourceTarball:   fk.tarball,
		SourceSHA256:    fk.sha,
		ConfigFragments: []string{"CONFIG_MODULES=y\nCONFIG_TINY=y\n"},
		Patches:         []string{fk.patch},
	}
	res, err := Build(context.Background(), spec, out, &prog)
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, prog.String())
	}
	for _, p := range []string{res.BzImage, res.Config, res.SystemMap, res.ModulesBuiltin, res.Log, res.MetadataFile} {
		if _, err := os.Stat(p); err != nil || !strings.HasPrefix(p, out+"/") {
			t.Errorf("output %q: %v", p, err)
		}
	}
	md := res.Metadata
	if md.KernelRelease != "5.10.218-fake" || md.Fixes != (Fixes{B: true, C: true}) || len(md.Patches) != 1 || md.Compiler == "" {
		t.Errorf("metadata: %+v", md)
	}
	if md.CacheKey != CacheKey(fk.sha, [][]byte{[]byte(spec.ConfigFragments[0])}, [][]byte{mustRead(t, fk.patch)}, md.Compiler) {
		t.Error("cache key does not match CacheKey over the inputs")
	}
	if !strings.Contains(prog.String(), "s] kbuild: ") {
		t.Errorf("progress lines lack elapsed time:\n%s", prog.String())
	}
	onlyEntry(t, fk.outParent, "k")
	if _, err := Build(context.Background(), spec, out, nil); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second build into existing dir: %v", err)
	}
}

func TestBuildConfigDropped(t *testing.T) {
	fk := setupFake(t)
	out := filepath.Join(fk.outParent, "k")
	_, err := Build(context.Background(), Spec{
		SourceTarball: fk.tarball, SourceSHA256: fk.sha,
		ConfigFragments: []string{"CONFIG_DROPME=y\n# CONFIG_64BIT is not set\n"},
	}, out, nil)
	var me *MismatchError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "CONFIG_DROPME=y requested, got not set") {
		t.Fatalf("err = %v", err)
	}
	onlyEntry(t, fk.outParent, "")
}

func TestBuildBadPatchAndChecksum(t *testing.T) {
	fk := setupFake(t)
	bad := filepath.Join(t.TempDir(), "bad.patch")
	if err := os.WriteFile(bad, []byte("--- a/Makefile\n+++ b/Makefile\n@@ -1,1 +1,1 @@\n-# not there\n+# x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), Spec{SourceTarball: fk.tarball, SourceSHA256: fk.sha, Patches: []string{fk.patch, bad}},
		filepath.Join(fk.outParent, "k"), nil)
	var pe *PatchError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "bad.patch") || !strings.Contains(err.Error(), "Makefile: Hunk #1 FAILED") {
		t.Errorf("bad patch: %v", err)
	}
	_, err = Build(context.Background(), Spec{SourceTarball: fk.tarball, SourceSHA256: strings.Repeat("0", 64)},
		filepath.Join(fk.outParent, "k"), nil)
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("bad checksum: %v", err)
	}
	onlyEntry(t, fk.outParent, "")
}

func TestBuildCancelledLeavesNothing(t *testing.T) {
	fk := setupFake(t)
	t.Setenv("FAKE_MAKE_SLEEP", "60")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Build(ctx, Spec{SourceTarball: fk.tarball, SourceSHA256: fk.sha}, filepath.Join(fk.outParent, "k"), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("cancel took %v: the make process group was not killed", d)
	}
	onlyEntry(t, fk.outParent, "")
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
