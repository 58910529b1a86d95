package kernel

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

func TestResolveOutsideCatalog(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in      string
		name    string // synthesized entry; "" = *UnknownKernelError
		release string
		hint    string // substring of the error's hint
	}{
		{"5.9", "mainline-5.9", "5.9.0", ""},
		{"v5.9", "mainline-5.9", "5.9.0", ""},
		{"5.9.0", "mainline-5.9", "5.9.0", ""},
		{"4.19.220", "mainline-4.19.220", "4.19.220", ""},
		{"6.13-rc2", "mainline-6.13-rc2", "6.13.0-rc2", ""},
		{"mainline-6.1.17", "mainline-6.1.17", "6.1.17", ""},
		{"mainline:5.10.100", "mainline-5.10.100", "5.10.100", ""},
		{"8.1", "mainline-8.1", "8.1.0", ""},
		// Catalog semantics first: these still name catalog kernels.
		{"5.10", "5.10", "5.10.223", ""},
		{"7", "7.2", "7.2.13", ""},
		// Not tried upstream.
		{"6.1.17", "", "", "ask for mainline-6.1.17"},
		{"5.10-rc1", "", "", "5.10 series the catalog pins"},
		{"99.1", "", "", "majors 3 to 8"},
		{"2.6.32", "", "", "majors 3 to 8"},
		{"5.25", "", "", "the 5.x line ended at 5.19"},
		{"4.21", "", "", "the 4.x line ended at 4.20"},
		{"6.13.1-rc2", "", "", "for Ubuntu's mainline build"},
		{"5.09", "", "", "for Ubuntu's mainline build"},
		{"mainline-banana", "", "", `"banana" is not a version`},
		{"banana", "", "", "or a Linux version not in the catalog (e.g. 5.9, 4.19.220, 6.13-rc2, mainline-6.1.17)"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			start := time.Now()
			e, err := c.Resolve(tt.in)
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("Resolve took %v: it must stay offline", d)
			}
			if tt.name != "" {
				if err != nil || e.Name != tt.name || e.Release != tt.release {
					t.Fatalf("Resolve(%q) = %+v, %v; want %s (%s)", tt.in, e, err, tt.name, tt.release)
				}
				if strings.HasPrefix(e.Name, mainlineNamePrefix) && (e.Source != SourceUbuntuMainline || !reflect.DeepEqual(e.Modules, c.Modules)) {
					t.Errorf("entry %+v: want source %s and the catalog's modules", e, SourceUbuntuMainline)
				}
				return
			}
			var ue *UnknownKernelError
			if !errors.As(err, &ue) {
				t.Fatalf("Resolve(%q) = %+v, %v; want *UnknownKernelError", tt.in, e, err)
			}
			if !strings.Contains(ue.Hint, tt.hint) || !strings.Contains(err.Error(), "valid values are 5.10 (5.10.223") {
				t.Errorf("error %q: want hint %q and the valid values", err, tt.hint)
			}
		})
	}
}

func TestResolvedMainlineIsFresh(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Resolve("5.9")
	b, _ := c.Resolve("5.9")
	a.Modules[0] = "changed"
	if a == b || b.Modules[0] == "changed" || c.Modules[0] == "changed" {
		t.Error("entries for the same version share state")
	}
}

func TestFixesByVersion(t *testing.T) {
	tests := []struct {
		v     string
		fixes scenario.FixSet
		says  []string
	}{
		{"5.9", scenario.FixSet{"A": true, "B": true, "C": false}, []string{"A present (5.9 is 5.9 or later)", "C absent (5.9 is a mainline release before 5.16)"}},
		{"5.16", scenario.FixSet{"A": true, "B": true, "C": true}, nil},
		{"6.13-rc2", scenario.FixSet{"A": true, "B": true, "C": true}, nil},
		{"5.16-rc3", scenario.FixSet{"A": true, "B": true}, []string{"C unknown (5.16-rc3 is a release candidate of 5.16"}},
		{"5.9-rc2", scenario.FixSet{"C": false}, []string{"A unknown (5.9-rc2 is a release candidate of 5.9"}},
		{"5.15.80", scenario.FixSet{"A": true, "B": true}, []string{"C unknown (5.15.80 is a stable release before 5.16: backports"}},
		{"4.19.220", scenario.FixSet{}, []string{"A unknown", "B unknown", "C unknown"}},
		{"5.4", scenario.FixSet{"A": false, "B": false, "C": false}, nil},
		{"5.8.2", scenario.FixSet{"A": true}, []string{"A present (5.8.2 is 5.8.2 or later in the 5.8 stable series)"}},
		{"5.8.1", scenario.FixSet{"A": false}, []string{"A absent (5.8.1 is before 5.8.2"}},
		{"5.7.10", scenario.FixSet{}, []string{"A unknown (5.7.10 is a stable release before 5.9: backports to 5.7 exist, unknown point release)"}},
	}
	for _, tt := range tests {
		v, ok := parseVersion(tt.v)
		if !ok {
			t.Fatalf("parseVersion(%q) failed", tt.v)
		}
		fixes, src := fixesByVersion(v)
		if !reflect.DeepEqual(fixes, tt.fixes) {
			t.Errorf("%s: fixes %v, want %v", tt.v, fixes, tt.fixes)
		}
		if !strings.HasPrefix(src, "by version, not verified (upstream: A since 5.9, B since 5.9, C since 5.16; shared/domain.md): ") {
			t.Errorf("%s: source %q", tt.v, src)
		}
		for _, s := range tt.says {
			if !strings.Contains(src, s) {
				t.Errorf("%s: source %q lacks %q", tt.v, src, s)
			}
		}
	}
}

func TestParseVersion(t *testing.T) {
	for _, tt := range []struct {
		in, str, dir, release, uname string
	}{
		{"5.9", "5.9", "v5.9", "5.9.0", "5.9.0-"},
		{"v4.19.220", "4.19.220", "v4.19.220", "4.19.220", "4.19.220-"},
		{"6.13-rc2", "6.13-rc2", "v6.13-rc2", "6.13.0-rc2", "6.13.0-"},
		{"6.13.0-rc2", "6.13-rc2", "v6.13-rc2", "6.13.0-rc2", "6.13.0-"},
	} {
		v, ok := parseVersion(tt.in)
		if !ok || v.String() != tt.str || v.Dir() != tt.dir || v.Release() != tt.release || v.unamePrefix() != tt.uname {
			t.Errorf("%q: %v %q %q %q %q", tt.in, ok, v.String(), v.Dir(), v.Release(), v.unamePrefix())
		}
	}
	for _, bad := range []string{"", "5", "5.", "5.9.", "05.9", "5.9.1-rc1", "5.9-rc0", "5.9-rc", "5.9-1", "5.9.0.1", "banana", "5.10-revert-A", "5.9 "} {
		if v, ok := parseVersion(bad); ok {
			t.Errorf("parseVersion(%q) = %v, want no", bad, v)
		}
	}
}
