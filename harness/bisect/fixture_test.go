package bisect

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMakeFixturePlantsTheCulprit(t *testing.T) {
	for _, tool := range []string{"git", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	src := t.TempDir()
	writeT(t, filepath.Join(src, "linux-x", "net/netfilter/ipvs/ip_vs_core.c"), "a\nb\nc\n")
	tarball := filepath.Join(t.TempDir(), "linux-x.tar")
	if out, err := exec.Command("tar", "-cf", tarball, "-C", src, "linux-x").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	patch := "--- a/net/netfilter/ipvs/ip_vs_core.c\n+++ b/net/netfilter/ipvs/ip_vs_core.c\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
	dir := t.TempDir()
	ctx := context.Background()
	f, err := MakeFixture(ctx, tarball, dir, "revert-X.patch", []byte(patch), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	log, err := git(ctx, f.Tree, "log", "--format=%H %s")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(log, "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], f.Bad) || !strings.HasPrefix(lines[1], f.Culprit+" apply revert-X") || !strings.HasPrefix(lines[3], f.Good) {
		t.Fatalf("history:\n%s\nfixture %+v", log, f)
	}
	// only the culprit touches the IPVS source, and it applies the patch
	if files, _ := git(ctx, f.Tree, "diff", "--name-only", f.Culprit+"^", f.Culprit); files != "net/netfilter/ipvs/ip_vs_core.c" {
		t.Errorf("culprit changes %q", files)
	}
	if b, _ := os.ReadFile(filepath.Join(f.Tree, "net/netfilter/ipvs/ip_vs_core.c")); string(b) != "a\nB\nc\n" {
		t.Errorf("patched file %q", b)
	}
	// a second call reuses the finished fixture: same commits
	again, err := MakeFixture(ctx, tarball, dir, "revert-X.patch", []byte(patch), os.Stderr)
	if err != nil || *again != *f {
		t.Errorf("second call: %+v, %v; want %+v", again, err, f)
	}
}
