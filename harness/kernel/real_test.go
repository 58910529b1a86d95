package kernel

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
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
