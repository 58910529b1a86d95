package kbuild

import (
	"reflect"
	"strings"
	"testing"
)

func TestCheckToolsNamesAptCommand(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // nothing on PATH
	err := CheckTools()
	if err == nil {
		t.Fatal("want an error with an empty PATH")
	}
	for _, want := range []string{"gcc", "bison", "flex", "bc", "apt-get install -y --no-install-recommends gcc make bison flex bc"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// fakeHost has exactly the commands and files listed.
func fakeHost(have ...string) hostProbe {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	return hostProbe{hasCommand: func(n string) bool { return set[n] }, hasFile: func(p string) bool { return set[p] }}
}

func TestMissingTools(t *testing.T) {
	all := []string{"gcc", "make", "bison", "flex", "bc", "patch", "tar", "xz", "perl", "/usr/include/libelf.h", "/usr/include/gelf.h"}
	if e := missingTools(buildTools(), fakeHost(all...)); e != nil {
		t.Errorf("everything present: %v", e)
	}
	// A fresh Debian root machine: compiler and base tools, none of the
	// kernel-specific ones.
	e := missingTools(buildTools(), fakeHost("gcc", "make", "patch", "tar", "xz", "perl", "/usr/include/gelf.h"))
	if e == nil {
		t.Fatal("want missing tools")
	}
	if want := []string{"bison", "flex", "bc", "libelf (/usr/include/libelf.h)"}; !reflect.DeepEqual(e.Missing, want) {
		t.Errorf("missing %q, want %q", e.Missing, want)
	}
	if want := []string{"bison", "flex", "bc", "libelf-dev"}; !reflect.DeepEqual(e.Packages, want) {
		t.Errorf("packages %q, want %q", e.Packages, want)
	}
	if want := "install with: apt-get install -y --no-install-recommends bison flex bc libelf-dev"; !strings.HasSuffix(e.Error(), want) {
		t.Errorf("error %q does not end with %q", e.Error(), want)
	}
}

func TestMissingToolsOnePackageOnce(t *testing.T) {
	tools := []tool{{name: "xz", pkg: "xz-utils"}, {name: "unxz", pkg: "xz-utils"}}
	e := missingTools(tools, fakeHost())
	if e == nil || len(e.Missing) != 2 || !reflect.DeepEqual(e.Packages, []string{"xz-utils"}) {
		t.Errorf("got %+v", e)
	}
}
