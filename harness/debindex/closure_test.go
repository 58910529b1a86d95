package debindex

import (
	"strings"
	"testing"
)

const sha = "d665b7aa7e3a8a18774cc24ab4546cd76941b6ff8ac5f263d7b46f2030c07b48"

// stanza is one Packages entry with the fields Parse requires.
func stanza(name, extra string) string {
	return "Package: " + name + "\nVersion: 1\n" + extra +
		"Filename: pool/main/x/" + name + "/" + name + "_1_amd64.deb\nSize: 10\nSHA256: " + strings.ToUpper(sha) + "\n\n"
}

var fakeIndex = stanza("tool", "Pre-Depends: libc6 (>= 2.34)\n"+
	"Depends: libfoo1 (>= 1) | libfoo-alt, debconf (>= 0.5) | debconf-2.0, libbar:any\n"+
	"Description: a tool\n with a continuation line: Depends: nothing\n") +
	stanza("libfoo1", "") + stanza("libc6", "") + stanza("libbar", "") +
	stanza("cdebconf", "Provides: debconf-2.0\n") +
	// A second version of a package: the first listed is kept.
	strings.Replace(stanza("libbar", ""), "Version: 1", "Version: 2", 1)

func names(ps []*Package) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return strings.Join(out, " ")
}

func TestParse(t *testing.T) {
	idx, err := Parse(strings.NewReader(fakeIndex))
	if err != nil {
		t.Fatal(err)
	}
	p := idx.Packages["tool"]
	if p == nil || p.Depends != "libc6 (>= 2.34),libfoo1 (>= 1) | libfoo-alt, debconf (>= 0.5) | debconf-2.0, libbar:any" ||
		p.SHA256 != sha || p.Size != 10 || p.Filename != "pool/main/x/tool/tool_1_amd64.deb" {
		t.Fatalf("tool: %+v", p)
	}
	if v := idx.Packages["libbar"].Version; v != "1" {
		t.Errorf("libbar version %s, want the first listed", v)
	}
	if _, err := Parse(strings.NewReader("Package: x\nVersion: 1\n")); err == nil {
		t.Error("stanza without Filename, SHA256 and Size accepted")
	}
}

func TestClosureFirst(t *testing.T) {
	idx, err := Parse(strings.NewReader(fakeIndex))
	if err != nil {
		t.Fatal(err)
	}
	got, err := idx.Closure([]string{"tool"}, First)
	if err != nil {
		t.Fatal(err)
	}
	if s := names(got); s != "cdebconf libbar libc6 libfoo1 tool" {
		t.Fatalf("closure %q", s)
	}
	if _, err := idx.Closure([]string{"nope"}, First); err == nil {
		t.Fatal("unknown root accepted")
	}
	idx.Packages["libfoo1"].Depends = "libmissing"
	if _, err := idx.Closure([]string{"tool"}, First); err == nil || !strings.Contains(err.Error(), "libmissing") {
		t.Fatalf("unsatisfiable dependency: %v", err)
	}
}

// The node's lock: an alternative already chosen wins over the first one,
// and avoided packages are passed over while another candidate exists.
func TestClosurePreferChosen(t *testing.T) {
	idx, err := Parse(strings.NewReader(
		stanza("scripts", "Depends: gawk | awk, init-a | init-b, only\n") +
			stanza("gawk", "Provides: awk\n") + stanza("mawk", "Provides: awk\n") +
			stanza("init-a", "") + stanza("init-b", "") + stanza("only", "")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		roots []string
		pick  Pick
		want  string
	}{
		{[]string{"scripts"}, First, "gawk init-a only scripts"},
		{[]string{"scripts", "mawk"}, First, "gawk init-a mawk only scripts"},
		{[]string{"scripts", "mawk"}, PreferChosen("init-a"), "init-b mawk only scripts"},
		// An avoided package is still taken when it is the only candidate.
		{[]string{"scripts"}, PreferChosen("only"), "gawk init-a only scripts"},
	} {
		got, err := idx.Closure(tc.roots, tc.pick)
		if err != nil {
			t.Fatal(err)
		}
		if s := names(got); s != tc.want {
			t.Errorf("roots %v: closure %q, want %q", tc.roots, s, tc.want)
		}
	}
}
