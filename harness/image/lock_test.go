package image

import (
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/vmimages"
)

const sha = "d665b7aa7e3a8a18774cc24ab4546cd76941b6ff8ac5f263d7b46f2030c07b48"

func TestParseLock(t *testing.T) {
	in := "# comment\n\nfoo 1.0-1 pool/main/f/foo/foo_1.0-1_amd64.deb 1234 " + strings.ToUpper(sha) + "\n"
	got, err := ParseLock([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := LockEntry{Package: "foo", Version: "1.0-1", PoolPath: "pool/main/f/foo/foo_1.0-1_amd64.deb", Size: 1234, SHA256: sha}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if again, err := ParseLock(FormatLock([]string{"x"}, got)); err != nil || again[0] != want {
		t.Fatalf("round trip: %+v %v", again, err)
	}
}

func TestParseLockErrorsNameTheLine(t *testing.T) {
	good := "foo 1 pool/main/f/foo/foo_1_amd64.deb 10 " + sha + "\n"
	for name, c := range map[string]struct{ in, want string }{
		"fields":    {good + "bar 1 pool/x.deb 10\n", "line 2"},
		"size":      {"# c\nfoo 1 pool/main/f/foo/foo_1_amd64.deb ten " + sha + "\n", `line 2 "foo 1`},
		"sha":       {"foo 1 pool/main/f/foo/foo_1_amd64.deb 10 abc\n", "sha256"},
		"escape":    {"foo 1 pool/../../etc/passwd.deb 10 " + sha + "\n", "pool path"},
		"duplicate": {good + good, "already pinned on line 1"},
		"empty":     {"# nothing\n", "pins no package"},
	} {
		_, err := ParseLock([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", name, err, c.want)
		}
	}
}

func TestEmbeddedLockParses(t *testing.T) {
	entries, err := ParseLock(vmimages.PackagesLock())
	if err != nil {
		t.Fatal(err)
	}
	for _, root := range DefaultRoots {
		found := false
		for _, e := range entries {
			found = found || e.Package == root
		}
		if !found {
			t.Errorf("embedded lock lacks root package %s", root)
		}
	}
}
