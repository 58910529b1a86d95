package kernel

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadEmbedded(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Resolve("")
	if err != nil || e.Name != "6.1" {
		t.Fatalf("default = %v, %v; want 6.1", e, err)
	}
	for _, e := range c.Kernels {
		if len(e.Modules) == 0 {
			t.Errorf("%s: no modules filled in", e.Name)
		}
		if e.Source == SourceDebian && !(e.Fixes["A"] && e.Fixes["B"] && e.Fixes["C"]) {
			t.Errorf("%s: Debian kernels here carry A, B and C (domain.md), got %v", e.Name, e.Fixes)
		}
	}
}

// validCatalog is a small catalog that passes validation; tests break it.
func validCatalog() map[string]any {
	entry := func(name, release string) map[string]any {
		return map[string]any{
			"name": name, "description": "test", "release": release, "uname_r": release + "-test",
			"source": "debian", "suite": "sid",
			"packages": []any{map[string]any{
				"package": "linux-image-" + name, "version": "1", "path": "pool/x_" + name + ".deb",
				"size": 10, "sha256": strings.Repeat("ab", 32),
			}},
			"fixes": map[string]any{"A": true}, "fixes_source": "test",
		}
	}
	return map[string]any{
		"format": 1, "default": "1.0", "fixes_known": []any{"A", "B", "C"},
		"modules": []any{"ip_vs"},
		"kernels": []any{entry("1.0", "1.0.1"), entry("2.0", "2.0.1")},
	}
}

func parseMap(t *testing.T, m map[string]any) (*Catalog, error) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(b)
}

func TestParseValidation(t *testing.T) {
	kernel := func(m map[string]any, i int) map[string]any { return m["kernels"].([]any)[i].(map[string]any) }
	pkg := func(m map[string]any, i int) map[string]any {
		return kernel(m, i)["packages"].([]any)[0].(map[string]any)
	}
	tests := []struct {
		name   string
		break_ func(m map[string]any)
		want   []string // substrings of the error
	}{
		{"valid", func(map[string]any) {}, nil},
		{"duplicate name", func(m map[string]any) { kernel(m, 1)["name"] = "1.0" }, []string{`kernels[1] "1.0"`, "name: duplicate"}},
		{"bad sha", func(m map[string]any) { pkg(m, 1)["sha256"] = "xyz" }, []string{`kernels[1] "2.0"`, "packages[0]", "sha256", `"xyz"`}},
		{"upper-case sha", func(m map[string]any) { pkg(m, 0)["sha256"] = strings.Repeat("AB", 32) }, []string{`"1.0"`, "sha256"}},
		{"unknown source", func(m map[string]any) { kernel(m, 0)["source"] = "gentoo" }, []string{`kernels[0] "1.0"`, "source", `"gentoo"`}},
		{"bad size", func(m map[string]any) { pkg(m, 0)["size"] = 0 }, []string{`"1.0"`, "size"}},
		{"path escapes", func(m map[string]any) { pkg(m, 0)["path"] = "../etc/passwd" }, []string{`"1.0"`, "path"}},
		{"bad release", func(m map[string]any) { kernel(m, 0)["release"] = "six" }, []string{`"1.0"`, "release"}},
		{"unknown fix", func(m map[string]any) { kernel(m, 0)["fixes"] = map[string]any{"Z": true} }, []string{`"1.0"`, "fixes", `"Z"`}},
		{"fixes without source", func(m map[string]any) { kernel(m, 0)["fixes_source"] = "" }, []string{`"1.0"`, "fixes_source"}},
		{"default unknown", func(m map[string]any) { m["default"] = "9.9" }, []string{"default", `"9.9"`}},
		{"unknown field", func(m map[string]any) { kernel(m, 0)["sha"] = "x" }, []string{`unknown field "sha"`}},
		{"build without spec", func(m map[string]any) { kernel(m, 0)["source"] = "build"; delete(kernel(m, 0), "packages") }, []string{`"1.0"`, "build: missing"}},
		{"bad module", func(m map[string]any) { m["modules"] = []any{"ip vs"} }, []string{"modules[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validCatalog()
			tt.break_(m)
			_, err := parseMap(t, m)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseBuildEntry(t *testing.T) {
	m := validCatalog()
	k := m["kernels"].([]any)[1].(map[string]any)
	k["name"], k["source"] = "1.0-revert-A", "build"
	k["build"] = map[string]any{
		"source":           k["packages"].([]any)[0],
		"patches":          []any{"linux-5.10/revert-A.patch"},
		"config_fragments": []any{"ipvs.config"},
	}
	delete(k, "packages")
	c, err := parseMap(t, m)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := c.Resolve("1.0-revert-A")
	if e == nil || e.Build == nil || e.Build.Patches[0] != "linux-5.10/revert-A.patch" {
		t.Fatalf("build entry not parsed: %+v", e)
	}
	if err := c.checkFiles(fstest.MapFS{}); err == nil || !strings.Contains(err.Error(), "build.patches") {
		t.Errorf("missing patch file not reported: %v", err)
	}
}
