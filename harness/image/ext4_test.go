package image

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

func TestMkfsArgs(t *testing.T) {
	a, err := Mkfs{File: "/c/engine.ext4", Dir: "/c/rootfs", Label: "rl-engine", SizeBytes: 512 << 20}.Args()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(a, " ")
	want := "-q -F -t ext4 -O ^has_journal -m 0 -E root_owner=0:0 -L rl-engine -d /c/rootfs /c/engine.ext4 524288k"
	if got != want {
		t.Errorf("args\n got %s\nwant %s", got, want)
	}
	a, _ = Mkfs{File: "s.img", SizeBytes: ScratchSize}.Args()
	if slices.Contains(a, "-d") || a[len(a)-1] != "8388608k" {
		t.Errorf("empty scratch args %v", a)
	}
	for _, bad := range []Mkfs{{SizeBytes: 1}, {File: "f"}, {File: "f", SizeBytes: 1, Label: strings.Repeat("x", 17)}} {
		if _, err := bad.Args(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestEngineImageSize(t *testing.T) {
	s := engineImageSize(396<<20, 7393)
	if s%(16<<20) != 0 || s < 396<<20+7393*4096 {
		t.Errorf("size %d", s)
	}
}

func TestEngineFixups(t *testing.T) {
	tr := debtree.Tree{}
	for _, p := range []string{"usr/sbin/dockerd", "usr/bin/containerd", "usr/sbin/runc", "usr/bin/tini-static", "usr/sbin/xtables-nft-multi", "usr/bin/gawk", "usr/bin/dash"} {
		tr.Add(p, &debtree.Node{Mode: 0o755, Data: []byte("x")})
	}
	tr.Add("usr/bin/docker-init", &debtree.Node{Mode: fs.ModeSymlink | 0o777, Target: "tini-static"})
	tr.Add("usr/bin/sh", &debtree.Node{Mode: fs.ModeSymlink | 0o777, Target: "dash"})
	if err := engineFixups(tr); err != nil {
		t.Fatal(err)
	}
	if n := tr["usr/sbin/iptables"]; n == nil || n.Target != "xtables-nft-multi" {
		t.Errorf("iptables alternative: %+v", n)
	}
	for _, d := range []string{"var/lib/docker", "proc", "sys", "dev", "run", "tmp", "seed", "usr/lib/modules"} {
		if n := tr[d]; n == nil || !n.Mode.IsDir() {
			t.Errorf("%s missing or not a directory", d)
		}
	}
	if tr["bin"].Target != "usr/bin" || !strings.Contains(string(tr["etc/passwd"].Data), "root:x:0:0") {
		t.Error("merged /usr or passwd missing")
	}
	delete(tr, "usr/sbin/dockerd")
	if err := engineFixups(tr); err == nil || !strings.Contains(err.Error(), "dockerd") {
		t.Errorf("missing dockerd: %v", err)
	}
}

// TestBuildExt4 runs the real mkfs.ext4 on a tiny tree (skipped without
// e2fsprogs) and checks the image with debugfs: owner, setuid bit, link.
func TestBuildExt4(t *testing.T) {
	tool, err := lookMkfs()
	if err != nil {
		t.Skip("no mkfs.ext4")
	}
	dir := t.TempDir()
	tr := debtree.Tree{}
	tr.Add("usr/bin/prog", &debtree.Node{Mode: fs.ModeSetuid | 0o755, Data: []byte("#!/bin/sh\n")})
	tr.Add("usr/bin/link", &debtree.Node{Mode: fs.ModeSymlink | 0o777, Target: "prog"})
	n, size, err := writeTree(tr, filepath.Join(dir, "root"))
	if err != nil || n != 2 || size != 10 {
		t.Fatal(n, size, err)
	}
	img := filepath.Join(dir, "x.ext4")
	if err := runMkfs(context.Background(), tool, Mkfs{File: img, Dir: filepath.Join(dir, "root"), Label: "t", SizeBytes: 8 << 20}); err != nil {
		t.Fatal(err)
	}
	debugfs, err := exec.LookPath("debugfs")
	if err != nil {
		if debugfs = "/usr/sbin/debugfs"; !fileExists(debugfs) {
			t.Skip("no debugfs")
		}
	}
	out, err := exec.Command(debugfs, "-R", "stat /usr/bin/prog", img).CombinedOutput()
	if err != nil {
		t.Fatal(err, string(out))
	}
	if !strings.Contains(string(out), "Mode:  04755") {
		t.Errorf("setuid lost:\n%s", out)
	}
	// A failed mkfs leaves no file behind.
	bad := filepath.Join(dir, "bad.ext4")
	if err := runMkfs(context.Background(), tool, Mkfs{File: bad, Dir: filepath.Join(dir, "nosuch"), SizeBytes: 8 << 20}); err == nil {
		t.Fatal("mkfs of a missing dir succeeded")
	}
	if fileExists(bad) {
		t.Error("failed mkfs left its image")
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
