package kbuild

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildReal builds the 5.10-revert-ABC control kernel with the
// repository's fragments and patch stack. It takes ~10 minutes of 2 cores
// cold, so it only runs when asked:
//
//	KBUILD_TEST_REAL_OUT=/tmp/k/5.10-revert-ABC (must not exist)
//	KBUILD_TEST_TARBALL=.../linux-source-5.10.tar.xz (from linux-source-5.10_5.10.223-1_all.deb)
//	KBUILD_TEST_TARBALL_SHA256=<hex>
//	go test -run TestBuildReal -timeout 60m -v ./harness/kbuild
func TestBuildReal(t *testing.T) {
	out := os.Getenv("KBUILD_TEST_REAL_OUT")
	if out == "" {
		t.Skip("KBUILD_TEST_REAL_OUT not set")
	}
	cfg, err := filepath.Abs("../../kernels/config")
	if err != nil {
		t.Fatal(err)
	}
	var frags []string
	for _, f := range ControlKernelFragments() {
		frags = append(frags, filepath.Join(cfg, f))
	}
	pd := patchDir(t)
	var patches []string
	for _, p := range []string{
		"revert-A-ipvs-unconfirmed-conntrack-reuse.patch",
		"revert-B-after-A-ipvs-expire-nodest-conn-work.patch",
		"revert-C-after-A-ipvs-reuse-weight-zero.patch",
	} {
		patches = append(patches, filepath.Join(pd, p))
	}
	res, err := Build(context.Background(), Spec{
		SourceTarball:   os.Getenv("KBUILD_TEST_TARBALL"),
		SourceSHA256:    os.Getenv("KBUILD_TEST_TARBALL_SHA256"),
		ConfigFragments: frags,
		Patches:         patches,
	}, out, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	if res.Metadata.Fixes != (Fixes{}) {
		t.Errorf("fixes after revert-ABC: %s, want none", res.Metadata.Fixes)
	}
	t.Logf("metadata: %+v", res.Metadata)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
