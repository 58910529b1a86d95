package kbuild

import (
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
