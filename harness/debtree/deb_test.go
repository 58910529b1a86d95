package debtree

import (
	"archive/tar"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/debtree/debtest"
)

func writeDeb(t *testing.T, deb []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "p.deb")
	if err := os.WriteFile(f, deb, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestExtractDeb(t *testing.T) {
	for _, comp := range []string{"xz", "zst", "gz"} {
		t.Run(comp, func(t *testing.T) {
			deb := writeDeb(t, debtest.Deb(t, comp, debtest.Files(map[string]string{
				"./bin/ip":               "IP",
				"./sbin/ip":              "->/bin/ip",
				"./usr/bin/hard":         "=>./bin/ip",
				"./usr/share/doc/p/copy": "c",
			})...))
			tr := Tree{}
			if err := ExtractDeb(deb, "p", tr); err != nil {
				t.Fatal(err)
			}
			if n := tr["usr/bin/ip"]; n == nil || string(n.Data) != "IP" || n.Mode != 0o755 {
				t.Fatalf("usr/bin/ip: %+v", n)
			}
			if n := tr["usr/sbin/ip"]; n == nil || n.Mode.Type() != fs.ModeSymlink || n.Target != "/bin/ip" {
				t.Fatalf("usr/sbin/ip: %+v", n)
			}
			if n := tr["usr/bin/hard"]; n == nil || string(n.Data) != "IP" {
				t.Fatalf("hard link: %+v", n)
			}
			if _, ok := tr[""]; ok {
				t.Fatal("the root ./ became an entry")
			}
			if p, n, _, err := tr.Resolve("/sbin/ip"); err != nil || p != "usr/bin/ip" || n.Pkg != "p" {
				t.Fatalf("resolve /sbin/ip: %s %v", p, err)
			}
		})
	}
}

// tar stores setuid, setgid and sticky as the raw st_mode bits 04000,
// 02000 and 01000, not as Go's fs.ModeSetuid etc.: they must be mapped.
func TestExtractDebKeepsSetuidSetgidSticky(t *testing.T) {
	deb := writeDeb(t, debtest.Deb(t, "gz",
		debtest.Entry{Header: tar.Header{Name: "./usr/bin/su", Typeflag: tar.TypeReg, Mode: 0o4755}, Body: "su"},
		debtest.Entry{Header: tar.Header{Name: "./usr/sbin/unix_chkpwd", Typeflag: tar.TypeReg, Mode: 0o2755}, Body: "pw"},
		debtest.Entry{Header: tar.Header{Name: "./var/tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}},
	))
	tr := Tree{}
	if err := ExtractDeb(deb, "p", tr); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]fs.FileMode{
		"usr/bin/su":           fs.ModeSetuid | 0o755,
		"usr/sbin/unix_chkpwd": fs.ModeSetgid | 0o755,
		"var/tmp":              fs.ModeDir | fs.ModeSticky | 0o777,
	} {
		if n := tr[p]; n == nil || n.Mode != want {
			t.Errorf("%s: %+v, want mode %v", p, n, want)
		}
	}
}

func TestExtractDebFirstPackageWins(t *testing.T) {
	a := writeDeb(t, debtest.Deb(t, "gz", debtest.Files(map[string]string{"./etc/x": "a"})...))
	b := writeDeb(t, debtest.Deb(t, "gz", debtest.Files(map[string]string{"./etc/x": "b"})...))
	tr := Tree{}
	for _, f := range []struct{ file, pkg string }{{a, "a"}, {b, "b"}} {
		if err := ExtractDeb(f.file, f.pkg, tr); err != nil {
			t.Fatal(err)
		}
	}
	if n := tr["etc/x"]; n == nil || string(n.Data) != "a" || n.Pkg != "a" {
		t.Fatalf("etc/x: %+v, want package a's", n)
	}
}

func TestExtractDebRejectsGarbage(t *testing.T) {
	f := writeDeb(t, []byte("<html>not found</html>"))
	if err := ExtractDeb(f, "x", Tree{}); err == nil {
		t.Fatal("garbage accepted")
	}
}
