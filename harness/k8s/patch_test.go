package k8s

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const provisionPath = "pkg/cluster/internal/providers/docker/provision.go"

// provisionFixture stands in for kind v0.33.0's provision.go: filler up to
// line 438, then the function as it is there (the wait is line 444).
func provisionFixture(t *testing.T, wait string) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= 438; i++ {
		b.WriteString("// filler\n")
	}
	b.WriteString("func createContainerWithWaitUntilSystemdReachesMultiUserSystem(name string, args []string) error {\n" +
		"\tif err := exec.Command(\"docker\", append([]string{\"run\", \"--name\", name}, args...)...).Run(); err != nil {\n" +
		"\t\treturn err\n\t}\n\n" +
		"\tlogCtx, logCancel := context.WithTimeout(context.Background(), " + wait + ")\n" +
		"\tlogCmd := exec.CommandContext(logCtx, \"docker\", \"logs\", \"-f\", name)\n" +
		"\tdefer logCancel()\n" +
		"\treturn common.WaitUntilLogRegexpMatches(logCtx, logCmd, common.NodeReachedCgroupsReadyRegexp())\n}\n")
	root := t.TempDir()
	p := filepath.Join(root, provisionPath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestKindPatchAppliesToFixture(t *testing.T) {
	root := provisionFixture(t, "30*time.Second")
	before, _ := os.ReadFile(filepath.Join(root, provisionPath))
	if err := KindSystemdWaitPatch().Apply(root); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(filepath.Join(root, provisionPath))
	if err != nil {
		t.Fatal(err)
	}
	bl, al := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	if len(bl) != len(al) {
		t.Fatalf("%d lines became %d: a one-line change must keep the count", len(bl), len(al))
	}
	var changed []int
	for i := range bl {
		if bl[i] != al[i] {
			changed = append(changed, i+1)
		}
	}
	if len(changed) != 1 || changed[0] != 444 {
		t.Fatalf("changed lines %v, want [444]", changed)
	}
	l := al[443]
	for _, want := range []string{`os.Getenv("KIND_SYSTEMD_WAIT")`, "time.ParseDuration", "return 30 * time.Second", "rolloutlab1"} {
		if !strings.Contains(l, want) {
			t.Errorf("line 444 lacks %q: %s", want, l)
		}
	}
	// A second application finds the patched line, not the original.
	if err := KindSystemdWaitPatch().Apply(root); err == nil || !strings.Contains(err.Error(), "does not match line 444") {
		t.Errorf("second apply: %v", err)
	}
}

// A changed source (a later kind) must fail the build, not be patched blindly.
func TestKindPatchRefusesDrift(t *testing.T) {
	root := provisionFixture(t, "60*time.Second")
	if err := KindSystemdWaitPatch().Apply(root); err == nil {
		t.Fatal("patched a drifted source")
	}
}

func TestPatchMultiHunkOffsets(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "f.txt"), []byte("a\nb\nc\nd\ne\nf\ng\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	diff := "description\n--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,3 @@\n a\n+a2\n b\n@@ -6,2 +7,1 @@\n f\n-g\n"
	if err := (&Patch{Name: "t", Diff: []byte(diff)}).Apply(root); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(root, "f.txt"))
	if string(got) != "a\na2\nb\nc\nd\ne\nf\n" {
		t.Errorf("got %q", got)
	}
}

func TestPatchRejects(t *testing.T) {
	for name, diff := range map[string]string{
		"no files":      "just text\n",
		"creation":      "--- /dev/null\n+++ b/new.go\n@@ -0,0 +1 @@\n+x\n",
		"escape":        "--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n",
		"short hunk":    "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n",
		"bad header":    "--- a/f.txt\n+++ b/f.txt\n@@ -x +1 @@\n-a\n+b\n",
		"no newline":    "--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file\n",
		"missing +++":   "--- a/f.txt\n@@ -1 +1 @@\n",
		"hunk past end": "--- a/f.txt\n+++ b/f.txt\n@@ -9 +9 @@\n-a\n+b\n",
	} {
		root := t.TempDir()
		if err := os.WriteFile(filepath.Join(root, "f.txt"), []byte("a\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := (&Patch{Name: name, Diff: []byte(diff)}).Apply(root); err == nil {
			t.Errorf("%s: applied", name)
		}
	}
}

func TestPatchedSourceStartsFresh(t *testing.T) {
	src := provisionFixture(t, "30*time.Second")
	dst := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "stale"), nil, 0o644); err != nil { // left by an interrupted build
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src, provisionPath), 0o444); err != nil { // as in the module cache
		t.Fatal(err)
	}
	if err := patchedSource(src, dst, KindSystemdWaitPatch()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "stale")); !os.IsNotExist(err) {
		t.Error("stale file survived")
	}
	b, err := os.ReadFile(filepath.Join(dst, provisionPath))
	if err != nil || !strings.Contains(string(b), "KIND_SYSTEMD_WAIT") {
		t.Errorf("copy not patched: %v", err)
	}
}
