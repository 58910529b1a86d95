package nodeimage

import (
	"io/fs"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// A package glob takes the symlinks it matches as well: iptables 1.8.11
// ships libxt_MASQUERADE.so and libxt_DNAT.so as links to libxt_NAT.so,
// and an image without them fails kube-proxy's iptables-restore
// ("unknown option --random-fully", 5.10-revert-C kind run 2026-12-03).
func TestPackageGlobTakesSymlinks(t *testing.T) {
	dir := "usr/lib/x86_64-linux-gnu/xtables/"
	tree := debtree.Tree{
		dir + "libxt_NAT.so":        {Mode: 0o644, Data: []byte("not an ELF")},
		dir + "libxt_MASQUERADE.so": {Mode: fs.ModeSymlink | 0o777, Target: "libxt_NAT.so"},
		dir + "libxt_DNAT.so":       {Mode: fs.ModeSymlink | 0o777, Target: "libxt_NAT.so"},
		dir + "README":              {Mode: 0o644, Data: []byte("x")},
	}
	m := newManifest()
	m.PackageGlobs = []string{"/" + dir + "*.so"}
	if err := addELFClosure(m, tree, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"libxt_MASQUERADE.so", "libxt_DNAT.so"} {
		e, ok := m.Get("/" + dir + name)
		if !ok || e.Kind != KindSymlink || e.Target != "libxt_NAT.so" {
			t.Errorf("%s: %+v (present %v), want a link to libxt_NAT.so", name, e, ok)
		}
	}
	if e, ok := m.Get("/" + dir + "libxt_NAT.so"); !ok || e.Kind != KindFile {
		t.Errorf("libxt_NAT.so: %+v", e)
	}
	if _, ok := m.Get("/" + dir + "README"); ok {
		t.Error("README does not match *.so")
	}
}
