package kernel

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/kbuild"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// TestPrepareReal prepares real catalog kernels when ROLLOUTLAB_TEST_REAL_KERNELS
// names them (comma-separated, or "all") and ROLLOUTLAB_TEST_CACHE names a
// cache dir. It downloads ~120 MB, so it never runs by default.
func TestPrepareReal(t *testing.T) {
	names := os.Getenv("ROLLOUTLAB_TEST_REAL_KERNELS")
	dir := os.Getenv("ROLLOUTLAB_TEST_CACHE")
	if names == "" || dir == "" {
		t.Skip("set ROLLOUTLAB_TEST_REAL_KERNELS and ROLLOUTLAB_TEST_CACHE to prepare real kernels")
	}
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	if names == "all" {
		for _, e := range c.Kernels {
			if e.Source == SourceDebian {
				list = append(list, e.Name)
			}
		}
	} else {
		list = strings.Split(names, ",")
	}
	for _, n := range list {
		e, err := c.Resolve(n)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		p, err := Prepare(context.Background(), e, dir, testWriter{t})
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(p.ModulesArchive)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s uname %s, %s %d bytes, %d modules (%d builtin), missing %v, added %v, depfrom %s, took %s",
			e.Name, p.Dir, p.UnameR, FileModules, st.Size(), len(p.Modules), len(p.Builtin), p.Missing, p.Meta.Modules.Added, p.Meta.ModulesDepFrom, time.Since(start).Round(100*time.Millisecond))
		t.Logf("%s builtin: %v", e.Name, p.Builtin)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// TestPrepareRealBuild builds a 5.10 control kernel with fixes A and C
// reverted when ROLLOUTLAB_TEST_REAL_BUILD=1 (downloads 120 MB, compiles
// for ~10 minutes on 2 cores).
func TestPrepareRealBuild(t *testing.T) {
	dir := os.Getenv("ROLLOUTLAB_TEST_CACHE")
	if os.Getenv("ROLLOUTLAB_TEST_REAL_BUILD") == "" || dir == "" {
		t.Skip("set ROLLOUTLAB_TEST_REAL_BUILD=1 and ROLLOUTLAB_TEST_CACHE to build a real kernel")
	}
	e := &Entry{
		Name: "5.10-revert-AC", Description: "test build", Release: "5.10.223", UnameR: "5.10.223", Source: SourceBuild,
		Build: &BuildSpec{
			Source: &Package{Package: "linux-source-5.10", Version: "5.10.223-1",
				Path: "pool/main/l/linux/linux-source-5.10_5.10.223-1_all.deb", Size: 121562870,
				SHA256: "f733d27d239d65598d96d7a72f71ac50f49f2380192a1b3b4ca2f5ad5144dd63"},
			Patches:         []string{"linux-5.10/revert-A-ipvs-unconfirmed-conntrack-reuse.patch", "linux-5.10/revert-C-after-A-ipvs-reuse-weight-zero.patch"},
			ConfigFragments: kbuild.ControlKernelFragments(),
		},
		Fixes: scenario.FixSet{"A": false, "B": true, "C": false}, FixesSource: "test",
	}
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	e.Modules = c.Modules
	start := time.Now()
	p, err := Prepare(context.Background(), e, dir, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: uname %s, %d builtin, missing %v, fixes %v, took %s", p.Dir, p.UnameR, len(p.Builtin), p.Missing, p.Meta.Fixes, time.Since(start).Round(time.Second))
}
