package k8s

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavaliergopher/cpio"
)

const kubeMod = `module k8s.io/kubernetes

go 1.24.0

require k8s.io/api v0.0.0

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	github.com/modern-go/reflect2 => github.com/modern-go/reflect2 v1.0.1
	cloud.google.com/go => cloud.google.com/go v0.54.0
)
`

func TestGoModRewritesStagingAndKeepsPins(t *testing.T) {
	b, err := KubeProxy("v1.34.2")
	if err != nil {
		t.Fatal(err)
	}
	got, err := GoMod(b, []byte(kubeMod), "1.26")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"go 1.26\n", "require k8s.io/kubernetes v1.34.2\n",
		"replace k8s.io/api => k8s.io/api v0.34.2\n", "replace k8s.io/client-go => k8s.io/client-go v0.34.2\n",
		"replace cloud.google.com/go => cloud.google.com/go v0.54.0\n",
		"replace github.com/modern-go/reflect2 => github.com/modern-go/reflect2 v1.0.1\n",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("go.mod lacks %q:\n%s", want, got)
		}
	}
}

func TestLegacyReleaseOverridesReflect2(t *testing.T) {
	b, err := KubeProxy(LegacyVersion)
	if err != nil {
		t.Fatal(err)
	}
	got, err := GoMod(b, []byte(kubeMod), "1.26")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "reflect2 => github.com/modern-go/reflect2 v1.0.1") ||
		!strings.Contains(string(got), "require github.com/modern-go/reflect2 v1.0.2") {
		t.Errorf("reflect2 not forced to v1.0.2:\n%s", got)
	}
	if !strings.Contains(strings.Join(b.LDFlags, " "), "gitVersion="+LegacyVersion) {
		t.Errorf("ldflags %v", b.LDFlags)
	}
}

func TestVersions(t *testing.T) {
	if _, err := KubeProxy("1.34"); err == nil {
		t.Error("accepted a version without v and patch")
	}
	if goLang("go1.26.8") != "1.26" || goLang("go1.27rc1") != "1.27" {
		t.Error("goLang")
	}
}

// The archive must hold only usr/... entries: a top-level bin or lib entry
// would replace the base image's symlink into /usr.
func TestArchiveLayout(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "x")
	if err := os.WriteFile(src, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Archive(context.Background(), dir, map[string]string{"kube-proxy-v1.34.2": src, "etcd": src})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := cpio.NewReader(zr)
	var names []string
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name+":"+h.Mode.String())
		if h.Mode.IsRegular() && h.Mode.Perm() != 0o755 {
			t.Errorf("%s mode %v", h.Name, h.Mode)
		}
	}
	want := "usr:040755 usr/local:040755 usr/local/bin:040755 usr/local/bin/etcd:0100755 usr/local/bin/kube-proxy-v1.34.2:0100755"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries:\n%s\nwant\n%s", got, want)
	}
	again, err := Archive(context.Background(), dir, map[string]string{"kube-proxy-v1.34.2": src, "etcd": src})
	if err != nil || again != p {
		t.Errorf("same inputs gave %s (%v), want cached %s", again, err, p)
	}
}

func TestGoModDropsSiblingReplaces(t *testing.T) {
	etcdMod := "module go.etcd.io/etcd/server/v3\n\ngo 1.24\n\nrequire go.etcd.io/etcd/api/v3 v3.6.5\n\nreplace go.etcd.io/etcd/api/v3 => ../api\n"
	got, err := GoMod(Etcd(), []byte(etcdMod), "1.26")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "replace") {
		t.Errorf("sibling replace kept:\n%s", got)
	}
}
