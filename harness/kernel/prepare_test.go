package kernel

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cavaliergopher/cpio"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/ulikunitz/xz"
)

// makeTar returns a tar of files (name -> content), names as dpkg writes
// them ("./boot/..."), with directory entries as in real packages.
func makeTar(t *testing.T, files map[string][]byte, order []string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, name := range order {
		data := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: "./" + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.WriteHeader(&tar.Header{Name: "./usr/share/doc/x", Typeflag: tar.TypeSymlink, Linkname: "y"})
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func xzBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstdBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(data, nil)
}

// makeDeb builds a .deb: an ar archive of debian-binary, control.tar.xz
// and data.tar.<ext> (ext "xz" or "zst").
func makeDeb(t *testing.T, ext string, files map[string][]byte, order []string) []byte {
	t.Helper()
	data := makeTar(t, files, order)
	switch ext {
	case "xz":
		data = xzBytes(t, data)
	case "zst":
		data = zstdBytes(t, data)
	}
	control := xzBytes(t, makeTar(t, map[string][]byte{"control": []byte("Package: test\n")}, []string{"control"}))
	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	for _, m := range []struct {
		name string
		data []byte
	}{{"debian-binary", []byte("2.0\n")}, {"control.tar.xz", control}, {"data.tar." + ext, data}} {
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m.name, 0, 0, 0, "100644", len(m.data))
		b.Write(m.data)
		if len(m.data)%2 == 1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// fakeMirror serves files by path and counts requests per path. cut, when
// set for a path, serves only the first n bytes (a connection cut short).
type fakeMirror struct {
	files map[string][]byte
	mu    sync.Mutex
	hits  map[string]int
	cut   map[string]int
}

func (m *fakeMirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/debian/")
	m.mu.Lock()
	m.hits[p]++
	n, cut := m.cut[p]
	m.mu.Unlock()
	data, ok := m.files[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if cut {
		data = data[:n]
	}
	w.Write(data)
}

func (m *fakeMirror) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, h := range m.hits {
		n += h
	}
	return n
}

const testUname = "1.2.3-test"

// archiveModRoot is where modules.cpio.gz puts the tree (usr/lib: the base
// image's /lib is a symlink the archive must not replace).
const archiveModRoot = "usr/lib/modules/" + testUname + "/"

var (
	fooKO    = fakeKO("license=GPL", "depends=bar-baz", "name=foo")
	barKO    = fakeKO("license=GPL", "depends=", "name=bar_baz")
	unusedKO = fakeKO("depends=", "name=unused")
)

// splitKernel is a fake kernel packaged like sid's: an image package and
// a modules package (zstd data, modules under usr/lib), deps from modinfo.
func splitKernel(t *testing.T) (*Entry, *fakeMirror) {
	mod := "usr/lib/modules/" + testUname + "/"
	img := map[string][]byte{
		"boot/vmlinuz-" + testUname:        []byte("VMLINUZ"),
		"boot/config-" + testUname:         []byte("CONFIG_IP_VS=m\n"),
		"boot/System.map-" + testUname:     []byte("ffff T x\n"),
		mod + "modules.builtin":            []byte("kernel/net/core/builtin-mod.ko\n"),
		"usr/share/doc/linux/changelog.gz": []byte("x"),
	}
	mods := map[string][]byte{
		mod + "kernel/net/foo.ko.xz":      xzBytes(t, fooKO),
		mod + "kernel/net/bar-baz.ko.zst": zstdBytes(t, barKO),
		mod + "kernel/net/unused.ko":      unusedKO,
	}
	debs := map[string][]byte{
		"pool/main/l/linux/linux-image-test_1_amd64.deb":   makeDeb(t, "xz", img, sortedKeys(img)),
		"pool/main/l/linux/linux-modules-test_1_amd64.deb": makeDeb(t, "zst", mods, sortedKeys(mods)),
	}
	return entryFor(debs, []string{"foo", "builtin_mod", "nope"}), &fakeMirror{files: debs, hits: map[string]int{}, cut: map[string]int{}}
}

func sortedKeys(m map[string][]byte) []string { return slices.Sorted(maps.Keys(m)) }

func entryFor(debs map[string][]byte, modules []string) *Entry {
	e := &Entry{Name: "test", Description: "fake", Release: "1.2.3", UnameR: testUname, Source: SourceDebian, Modules: modules,
		Fixes: scenario.FixSet{"A": true}, FixesSource: "test"}
	for _, p := range []string{"pool/main/l/linux/linux-image-test_1_amd64.deb", "pool/main/l/linux/linux-modules-test_1_amd64.deb"} {
		d, ok := debs[p]
		if !ok {
			continue
		}
		sum := sha256.Sum256(d)
		e.Packages = append(e.Packages, Package{Package: filepath.Base(p), Version: "1", Path: p, Size: int64(len(d)), SHA256: hex.EncodeToString(sum[:])})
	}
	return e
}

// readCPIOGz returns the archive's regular files and all names in order.
func readCPIOGz(t *testing.T, path string) (map[string][]byte, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := cpio.NewReader(zr)
	files := map[string][]byte{}
	var names []string
	for {
		h, err := r.Next()
		if err == io.EOF {
			return files, names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Mode.IsRegular() {
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = b
		}
	}
}

func serve(t *testing.T, m *fakeMirror) {
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	t.Setenv(EnvDebianMirror, srv.URL+"/debian")
}

func TestPrepareEndToEnd(t *testing.T) {
	e, mirror := splitKernel(t)
	serve(t, mirror)
	cacheDir := t.TempDir()
	var log bytes.Buffer
	p, err := Prepare(context.Background(), e, cacheDir, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if got := mirror.total(); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
	if !strings.Contains(log.String(), "kernel test: ready in") {
		t.Errorf("progress lacks the ready line:\n%s", log.String())
	}
	if b, _ := os.ReadFile(p.Vmlinuz); string(b) != "VMLINUZ" {
		t.Errorf("vmlinuz = %q", b)
	}
	if b, _ := os.ReadFile(p.Config); string(b) != "CONFIG_IP_VS=m\n" {
		t.Errorf("config = %q", b)
	}
	sum := sha256.Sum256([]byte("VMLINUZ"))
	if p.VmlinuzSHA256 != hex.EncodeToString(sum[:]) || p.UnameR != testUname {
		t.Errorf("prepared = %+v", p)
	}
	if want := []string{"bar_baz", "foo", "builtin_mod"}; !reflect.DeepEqual(p.Modules, want) {
		t.Errorf("Modules = %v, want %v", p.Modules, want)
	}
	if !reflect.DeepEqual(p.Missing, []string{"nope"}) || !reflect.DeepEqual(p.Builtin, []string{"builtin_mod"}) {
		t.Errorf("missing %v builtin %v", p.Missing, p.Builtin)
	}
	if p.Meta.ModulesDepFrom != "modinfo" {
		t.Errorf("modules.dep from %q", p.Meta.ModulesDepFrom)
	}
	if base := filepath.Base(p.Dir); base != "test-"+Key(e)[:12] {
		t.Errorf("dir %s", p.Dir)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, ".unpack")); !os.IsNotExist(err) {
		t.Errorf("unpack dir left behind: %v", err)
	}

	files, names := readCPIOGz(t, p.ModulesArchive)
	root := archiveModRoot
	want := map[string][]byte{
		root + "kernel/net/foo.ko":     fooKO, // decompressed from .xz
		root + "kernel/net/bar-baz.ko": barKO, // decompressed from .zst
		root + "modules.dep":           []byte("kernel/net/bar-baz.ko:\nkernel/net/foo.ko: kernel/net/bar-baz.ko\n"),
		root + "modules.builtin":       []byte("kernel/net/core/builtin-mod.ko\n"),
	}
	if len(files) != len(want) {
		t.Errorf("archive has %v", names)
	}
	for name, data := range want {
		if got, ok := files[name]; !ok || !bytes.Equal(got, data) {
			t.Errorf("%s: got %q (present %v), want %q", name, got, ok, data)
		}
	}
	// Parents precede children, so the kernel can create each path.
	seen := map[string]bool{}
	for _, n := range names {
		if d := filepath.Dir(n); d != "." && !seen[d] {
			t.Errorf("%s comes before its directory", n)
		}
		seen[n] = true
	}

	// A second run reuses the published directory without any request.
	log.Reset()
	p2, err := Prepare(context.Background(), e, cacheDir, &log)
	if err != nil || p2.Dir != p.Dir || mirror.total() != 2 {
		t.Errorf("second run: %v, dir %s, %d requests", err, p2.Dir, mirror.total())
	}
	if !strings.Contains(log.String(), "cached in") {
		t.Errorf("second run log:\n%s", log.String())
	}
}

// A tree that ships its own modules.dep (make modules_install) has it
// rewritten rather than regenerated; a single data.tar.xz package.
func TestPrepareWithModulesDep(t *testing.T) {
	mod := "lib/modules/" + testUname + "/"
	files := map[string][]byte{
		"boot/vmlinuz-" + testUname:     []byte("VMLINUZ"),
		"boot/config-" + testUname:      []byte("CONFIG_X=y\n"),
		mod + "kernel/net/foo.ko.xz":    xzBytes(t, fakeKO("name=foo")), // modinfo says nothing...
		mod + "kernel/net/bar.ko.xz":    xzBytes(t, fakeKO("name=bar")),
		mod + "kernel/net/other.ko.xz":  xzBytes(t, fakeKO("name=other")),
		mod + "modules.dep":             []byte("kernel/net/foo.ko.xz: kernel/net/bar.ko.xz\nkernel/net/bar.ko.xz:\nkernel/net/other.ko.xz:\n"),
		mod + "modules.builtin":         []byte(""),
		mod + "modules.builtin.modinfo": []byte("x"),
	}
	debs := map[string][]byte{"pool/main/l/linux/linux-image-test_1_amd64.deb": makeDeb(t, "xz", files, sortedKeys(files))}
	e := entryFor(debs, []string{"foo"})
	serve(t, &fakeMirror{files: debs, hits: map[string]int{}, cut: map[string]int{}})
	p, err := Prepare(context.Background(), e, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readCPIOGz(t, p.ModulesArchive)
	// ...modules.dep does: bar comes along, other does not.
	if dep := string(got[archiveModRoot+"modules.dep"]); dep != "kernel/net/foo.ko: kernel/net/bar.ko\nkernel/net/bar.ko:\n" {
		t.Errorf("modules.dep = %q", dep)
	}
	if !reflect.DeepEqual(p.Modules, []string{"bar", "foo"}) || p.Meta.ModulesDepFrom != "modules.dep" {
		t.Errorf("modules %v from %s", p.Modules, p.Meta.ModulesDepFrom)
	}
}

func TestPrepareRefetchesTruncatedDownload(t *testing.T) {
	e, mirror := splitKernel(t)
	serve(t, mirror)
	cacheDir := t.TempDir()
	p, err := Prepare(context.Background(), e, cacheDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Cut a cached download in half and drop the prepared directory: the
	// next run must notice (size/sha256) and fetch that package again.
	cached := filepath.Join(cacheDir, "downloads", e.Packages[1].SHA256)
	if err := os.Truncate(cached, e.Packages[1].Size/2); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(p.Dir); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if _, err := Prepare(context.Background(), e, cacheDir, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if h := mirror.hits[e.Packages[1].Path]; h != 2 {
		t.Errorf("modules package fetched %d times, want 2", h)
	}
	if h := mirror.hits[e.Packages[0].Path]; h != 1 {
		t.Errorf("intact image package fetched %d times, want 1", h)
	}
	if !strings.Contains(log.String(), "is bad") {
		t.Errorf("log does not mention the bad file:\n%s", log.String())
	}
}

func TestPrepareCutDownloadPublishesNothing(t *testing.T) {
	e, mirror := splitKernel(t)
	mirror.cut[e.Packages[1].Path] = 100
	serve(t, mirror)
	cacheDir := t.TempDir()
	_, err := Prepare(context.Background(), e, cacheDir, nil)
	if err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("err = %v, want a cut-short error", err)
	}
	if _, err := os.Stat(Dir(cacheDir, e)); !os.IsNotExist(err) {
		t.Errorf("a kernel dir was published after a failed download: %v", err)
	}
	delete(mirror.cut, e.Packages[1].Path)
	if _, err := Prepare(context.Background(), e, cacheDir, nil); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

func TestPrepareConcurrent(t *testing.T) {
	e, mirror := splitKernel(t)
	serve(t, mirror)
	cacheDir := t.TempDir()
	var wg sync.WaitGroup
	var fails atomic.Int32
	dirs := make([]string, 4)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := Prepare(context.Background(), e, cacheDir, nil)
			if err != nil {
				t.Error(err)
				fails.Add(1)
				return
			}
			dirs[i] = p.Dir
		}()
	}
	wg.Wait()
	if fails.Load() > 0 {
		return
	}
	for _, d := range dirs {
		if d != dirs[0] {
			t.Errorf("dirs differ: %v", dirs)
		}
	}
	if n := mirror.total(); n != 2 {
		t.Errorf("%d requests for 2 packages", n)
	}
}

func TestPrepareUnsupportedSource(t *testing.T) {
	e := &Entry{Name: "5.10-revert-AC", Source: "gentoo"}
	_, err := Prepare(context.Background(), e, t.TempDir(), nil)
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "5.10-revert-AC") || !strings.Contains(err.Error(), SourceKernelOrg) {
		t.Errorf("err = %v, want ErrNotSupported naming the entry and the valid kinds", err)
	}
}

func TestPrepareWrongUnameR(t *testing.T) {
	e, mirror := splitKernel(t)
	serve(t, mirror)
	e.UnameR = "9.9.9-other"
	_, err := Prepare(context.Background(), e, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), testUname) || !strings.Contains(err.Error(), "uname_r") {
		t.Errorf("err = %v, want one naming the module dir found", err)
	}
}

func TestKeyChangesWithPins(t *testing.T) {
	e, _ := splitKernel(t)
	k := Key(e)
	e2 := *e
	e2.Modules = append([]string{"extra"}, e.Modules...)
	e3 := *e
	e3.Description = "renamed"
	if Key(&e2) == k || Key(&e3) != k {
		t.Errorf("key must follow pins and modules only")
	}
}
