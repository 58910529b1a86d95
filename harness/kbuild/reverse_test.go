package kbuild

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/kernels"
)

func TestReversePatchHunks(t *testing.T) {
	in := "preamble\n--- a/f.c\n+++ b/f.c\n@@ -1,3 +1,3 @@ func\n a\n-b\n+B\n c\n@@ -10 +10,2 @@\n-x\n+y\n+z\n\\ No newline at end of file\n"
	want := "preamble\n--- a/f.c\n+++ b/f.c\n@@ -1,3 +1,3 @@ func\n a\n+b\n-B\n c\n@@ -10,2 +10 @@\n+x\n-y\n-z\n\\ No newline at end of file\n"
	got, err := ReversePatch([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	twice, _ := ReversePatch(got)
	if string(twice) != in {
		t.Errorf("reversing twice:\n%s", twice)
	}
	for _, bad := range []string{"--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n", "--- a\n+++ b\n@@ -1 +1 @@\n?x\n", "@@ nonsense @@\n"} {
		if _, err := ReversePatch([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

// The catalog's revert-C patch, applied and then reversed with GNU patch
// at --fuzz=0, gives back the file it started from.
func TestReversePatchUndoesCatalogRevert(t *testing.T) {
	text, err := fs.ReadFile(kernels.FS, "patches/linux-5.10/revert-C-ipvs-reuse-weight-zero.patch")
	if err != nil {
		t.Fatal(err)
	}
	rev, err := ReversePatch(text)
	if err != nil {
		t.Fatal(err)
	}
	// Rebuild the hunks' pre-images as a tiny tree: each file holds its
	// hunks' old side, with filler lines where the ranges leave gaps.
	dir := t.TempDir()
	files := preImages(t, string(text))
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := applyPatches(ctx, dir, []string{"revert-C"}, [][]byte{text}); err != nil {
		t.Fatalf("forward: %v", err)
	}
	if err := applyPatches(ctx, dir, []string{"revert-C reversed"}, [][]byte{rev}); err != nil {
		t.Fatalf("reversed: %v", err)
	}
	for name, body := range files {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(b, []byte(body)) {
			t.Errorf("%s differs after patch + reversed patch", name)
		}
	}
}

// preImages builds, per file of a unified diff, text whose lines at each
// hunk's old range are that hunk's old side.
func preImages(t *testing.T, diff string) map[string]string {
	t.Helper()
	files := map[string][]string{}
	var cur string
	lines := strings.Split(diff, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "--- a/") {
			cur = strings.TrimPrefix(l, "--- a/")
			continue
		}
		m := hunkHeader.FindStringSubmatch(l)
		if m == nil || cur == "" {
			continue
		}
		start, n := hunkLen(m[1]), hunkLen(m[2])
		body := files[cur]
		for len(body) < start-1 {
			body = append(body, "filler")
		}
		for n > 0 {
			i++
			switch b := lines[i]; {
			case strings.HasPrefix(b, " "), strings.HasPrefix(b, "-"):
				body = append(body, b[1:])
				n--
			case b == "":
				body = append(body, "")
				n--
			}
		}
		files[cur] = body
	}
	out := map[string]string{}
	for f, body := range files {
		out[f] = strings.Join(append(body, "tail"), "\n") + "\n"
	}
	return out
}
