package kernel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/kbuild"
	"github.com/rolloutlab/rolloutlab/kernels"
	"github.com/rolloutlab/rolloutlab/scenario"
)

const kernelOrgPatch = "linux-5.10/revert-A-ipvs-unconfirmed-conntrack-reuse.patch"

// kernelOrgSite serves one tarball at the path cdn.kernel.org uses.
func kernelOrgSite(t *testing.T, tarball []byte) *atomic.Int32 {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/pub/linux/kernel/v5.x/linux-5.9.tar.xz" {
			http.NotFound(w, r)
			return
		}
		w.Write(tarball)
	}))
	t.Cleanup(srv.Close)
	t.Setenv(EnvKernelOrgMirror, srv.URL+"/pub/linux/kernel")
	return &hits
}

func kernelOrgEntry(tarball []byte) *Entry {
	sum := sha256.Sum256(tarball)
	return &Entry{
		Name: "5.9-kernelorg", Description: "test", Release: "5.9", UnameR: "5.9.0", Source: SourceKernelOrg,
		Packages: []Package{{Package: "linux-5.9.tar.xz", Version: "5.9", Path: "v5.x/linux-5.9.tar.xz",
			Size: int64(len(tarball)), SHA256: hex.EncodeToString(sum[:])}},
		Build:   &BuildSpec{Patches: []string{kernelOrgPatch}, ConfigFragments: []string{"ipvs.config"}},
		Fixes:   scenario.FixSet{"A": false, "B": true, "C": true},
		Modules: []string{"ip_vs", "veth"},
	}
}

// fakeKbuild stands in for kbuild.Build: it records what it was handed
// (reading the tarball while it exists) and leaves the outputs a real
// build does.
type fakeKbuild struct {
	calls   int
	spec    kbuild.Spec
	tarball []byte
	patches [][]byte
}

func (f *fakeKbuild) build(_ context.Context, spec kbuild.Spec, outDir string, _ io.Writer) (*kbuild.Output, error) {
	f.calls++
	f.spec = spec
	var err error
	if f.tarball, err = os.ReadFile(spec.SourceTarball); err != nil {
		return nil, err
	}
	for _, p := range spec.Patches {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f.patches = append(f.patches, b)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	out := &kbuild.Output{
		Dir: outDir, BzImage: filepath.Join(outDir, "bzImage"), Config: filepath.Join(outDir, "config"),
		ModulesBuiltin: filepath.Join(outDir, "modules.builtin"), Log: filepath.Join(outDir, "build.log"),
		Metadata: kbuild.Metadata{KernelRelease: "5.9.0", Fixes: kbuild.Fixes{B: true, C: true}},
	}
	for p, text := range map[string]string{out.BzImage: "BZIMAGE", out.Config: "CONFIG_IP_VS=y\n",
		out.ModulesBuiltin: "kernel/net/netfilter/ipvs/ip_vs.ko\n", out.Log: "make ok\n"} {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func TestPrepareKernelOrg(t *testing.T) {
	tarball := []byte("fake linux-5.9 source tarball")
	hits := kernelOrgSite(t, tarball)
	e := kernelOrgEntry(tarball)
	fk := &fakeKbuild{}
	var log bytes.Buffer
	p, err := prepare(context.Background(), e, t.TempDir(), &log, deps{client: httpClient(), kbuild: fk.build})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if fk.calls != 1 || hits.Load() != 1 {
		t.Fatalf("%d builds, %d requests", fk.calls, hits.Load())
	}
	if !bytes.Equal(fk.tarball, tarball) || path.Base(fk.spec.SourceTarball) != "linux-5.9.tar.xz" || fk.spec.SourceSHA256 != e.Packages[0].SHA256 {
		t.Errorf("build got tarball %s (%q), sha %s", fk.spec.SourceTarball, fk.tarball, fk.spec.SourceSHA256)
	}
	wantPatch, _ := fs.ReadFile(kernels.FS, "patches/"+kernelOrgPatch)
	wantFrag, _ := fs.ReadFile(kernels.FS, "config/ipvs.config")
	if len(fk.patches) != 1 || !bytes.Equal(fk.patches[0], wantPatch) {
		t.Errorf("patches handed to the build: %d", len(fk.patches))
	}
	if len(fk.spec.ConfigFragments) != 1 || fk.spec.ConfigFragments[0] != "# ipvs.config\n"+string(wantFrag) {
		t.Errorf("fragments: %q", fk.spec.ConfigFragments)
	}
	if b, _ := os.ReadFile(p.Vmlinuz); string(b) != "BZIMAGE" || p.UnameR != "5.9.0" {
		t.Errorf("vmlinuz %q uname %q", b, p.UnameR)
	}
	if !reflect.DeepEqual(p.Builtin, []string{"ip_vs"}) || !reflect.DeepEqual(p.Missing, []string{"veth"}) {
		t.Errorf("builtin %v missing %v", p.Builtin, p.Missing)
	}
	if !reflect.DeepEqual(p.Meta.Fixes, e.Fixes) || p.Meta.Source != SourceKernelOrg {
		t.Errorf("meta %+v", p.Meta)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "build.log")); err != nil {
		t.Errorf("build log: %v", err)
	}
}

func TestPrepareKernelOrgBadTarball(t *testing.T) {
	pinned := []byte("the tarball pinned")
	for served, want := range map[string]string{
		"tampered tarball":   "got 16 bytes, want 18", // the size pin
		"the tarball pinneD": "checksum mismatch",     // the sha256 pin
	} {
		t.Run(want, func(t *testing.T) {
			kernelOrgSite(t, []byte(served))
			fk := &fakeKbuild{}
			cacheDir := t.TempDir()
			_, err := prepare(context.Background(), kernelOrgEntry(pinned), cacheDir, nil, deps{client: httpClient(), kbuild: fk.build})
			if err == nil || fk.calls != 0 {
				t.Fatalf("err %v after %d builds: want a failure before any build", err, fk.calls)
			}
			for _, want := range []string{"kernel.org tarball v5.x/linux-5.9.tar.xz", want, EnvKernelOrgMirror + " to a local directory"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if left := regularFiles(t, cacheDir); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}

	e := kernelOrgEntry(pinned)
	e.Packages = append(e.Packages, e.Packages[0])
	if _, err := Prepare(context.Background(), e, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "exactly one package") {
		t.Errorf("two packages: %v", err)
	}
}

// Debian's linux-source package takes the same build path as a tarball.
func TestPrepareBuildFromDebianSource(t *testing.T) {
	tarball := []byte("fake linux-source-5.10 tarball")
	files := map[string][]byte{"usr/src/linux-source-5.10.tar.xz": tarball, "usr/share/doc/linux-source-5.10/README": []byte("x")}
	deb := makeDeb(t, "xz", files, sortedKeys(files))
	src := entryFor(map[string][]byte{"pool/main/l/linux/linux-image-test_1_amd64.deb": deb}, nil).Packages[0]
	serve(t, &fakeMirror{files: map[string][]byte{src.Path: deb}, hits: map[string]int{}, cut: map[string]int{}})
	e := kernelOrgEntry(tarball)
	e.Source, e.Packages = SourceBuild, nil
	e.Build.Source = &src
	fk := &fakeKbuild{}
	p, err := prepare(context.Background(), e, t.TempDir(), nil, deps{client: httpClient(), kbuild: fk.build})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tarball)
	if !bytes.Equal(fk.tarball, tarball) || fk.spec.SourceSHA256 != hex.EncodeToString(sum[:]) || len(fk.patches) != 1 || p.UnameR != "5.9.0" {
		t.Errorf("build got %q sha %s, %d patches", fk.tarball, fk.spec.SourceSHA256, len(fk.patches))
	}
}
