package image

import (
	"strings"
	"testing"
)

const fakeIndex = `Package: tool
Version: 1.0
Pre-Depends: libc6 (>= 2.34)
Depends: libfoo1 (>= 1) | libfoo-alt, debconf (>= 0.5) | debconf-2.0, libbar:any
Filename: pool/main/t/tool/tool_1.0_amd64.deb
Size: 10
SHA256: ` + sha + `
Description: a tool
 with a continuation line: Depends: nothing

Package: libfoo1
Version: 1
Filename: pool/main/f/foo/libfoo1_1_amd64.deb
Size: 11
SHA256: ` + sha + `

Package: libc6
Version: 2.36
Filename: pool/main/g/glibc/libc6_2.36_amd64.deb
Size: 12
SHA256: ` + sha + `

Package: cdebconf
Version: 1
Provides: debconf-2.0
Filename: pool/main/c/cdebconf/cdebconf_1_amd64.deb
Size: 13
SHA256: ` + sha + `

Package: libbar
Version: 1
Filename: pool/main/b/bar/libbar_1_amd64.deb
Size: 14
SHA256: ` + sha + `
`

func TestResolveDepends(t *testing.T) {
	idx, err := parseIndex(strings.NewReader(fakeIndex))
	if err != nil {
		t.Fatal(err)
	}
	got, err := resolveDepends(idx, []string{"tool"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.Package)
	}
	if s := strings.Join(names, " "); s != "cdebconf libbar libc6 libfoo1 tool" {
		t.Fatalf("closure %q", s)
	}
	if _, err := resolveDepends(idx, []string{"nope"}); err == nil {
		t.Fatal("unknown root accepted")
	}
	idx["libfoo1"].deps = "libmissing"
	if _, err := resolveDepends(idx, []string{"tool"}); err == nil || !strings.Contains(err.Error(), "libmissing") {
		t.Fatalf("unsatisfiable dependency: %v", err)
	}
}
