package rolloutlab_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/rolloutlab/rolloutlab/"

// The guest binary is built from vmimages/... and must never pull host-only
// code (kernel fetch and build, Kubernetes builds, QEMU, result rendering);
// what both sides of the VM use lives in scenario and wire, which import
// neither side. This test fails as soon as an import crosses that line.
func TestBoundary(t *testing.T) {
	rules := []struct {
		pkgs      string
		forbidden []string
	}{
		{"./vmimages/agent/...", []string{module + "harness/"}},
		{"./vmimages/guest/...", []string{module + "harness/"}},
		{"./scenario/...", []string{module + "harness/", module + "vmimages/", module + "wire"}},
		{"./wire/...", []string{module + "harness/", module + "vmimages/"}},
		{"./enum/...", []string{module + "harness/", module + "vmimages/", module + "wire", module + "scenario"}},
	}
	for _, r := range rules {
		deps := goListDeps(t, r.pkgs)
		if len(deps) == 0 {
			t.Fatalf("go list found no dependencies for %s", r.pkgs)
		}
		for _, d := range deps {
			for _, f := range r.forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s depends on %s, which is outside what it may use (it must not reach %s)", r.pkgs, d, f)
				}
			}
		}
	}
}

// TestBoundaryCatchesAViolation proves the rule can fail: the host side
// does reach harness packages, so the same check on it must report some.
func TestBoundaryCatchesAViolation(t *testing.T) {
	for _, d := range goListDeps(t, "./harness/run") {
		if strings.HasPrefix(d, module+"harness/qemu") {
			return
		}
	}
	t.Fatal("the dependency listing does not see harness/run -> harness/qemu; the boundary test would pass vacuously")
}

func goListDeps(t *testing.T, pkgs string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-test", "-f", "{{.ImportPath}}", pkgs).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v %s", pkgs, err, stderr)
	}
	return strings.Fields(string(out))
}
