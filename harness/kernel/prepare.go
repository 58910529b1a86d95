package kernel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/fetch"
	"github.com/rolloutlab/rolloutlab/harness/kbuild"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// prepareFormat versions the layout of a prepared kernel directory; bump it
// when Prepare's output changes so old cache entries are not reused.
const prepareFormat = 1 + 1 // +1: modules under usr/lib

// Files in a prepared kernel directory.
const (
	FileVmlinuz = "vmlinuz"
	FileModules = "modules.cpio.gz"
	// FileEngineModules holds modules + engine modules, for disk-root boots.
	FileEngineModules = "modules-engine.cpio.gz"
	FileConfig        = "config"
	FileMetadata      = "kernel.json"
)

// ErrNotSupported marks source kinds Prepare cannot handle yet.
var ErrNotSupported = errors.New("not yet supported")

// Prepared is a kernel ready to boot.
type Prepared struct {
	Entry          *Entry
	Key            string // content key of the cache entry (hex sha256)
	Dir            string // cacheDir/kernels/<name>-<key12>
	Vmlinuz        string // path of the kernel image
	ModulesArchive string // path of modules.cpio.gz (initramfs fragment)
	// EngineModulesArchive replaces ModulesArchive in boots with a disk
	// root; EngineModules is its load order (as Modules).
	EngineModulesArchive string
	EngineModules        []string
	Config               string // path of the kernel's .config
	UnameR               string
	VmlinuzSHA256        string
	// Modules are the modules present (loadable or builtin), dependencies
	// first: the list to hand the guest agent, which skips builtin ones.
	Modules []string
	Builtin []string // subset of Modules built into vmlinuz
	Missing []string // requested modules this kernel does not have at all
	Meta    *Metadata
}

// Metadata is kernel.json in a prepared directory.
type Metadata struct {
	Format        int             `json:"format"`
	Key           string          `json:"key"`
	Name          string          `json:"name"`
	Release       string          `json:"release"`
	UnameR        string          `json:"uname_r"`
	Source        string          `json:"source"`
	VmlinuzSHA256 string          `json:"vmlinuz_sha256"`
	Fixes         scenario.FixSet `json:"fixes"`
	FixesSource   string          `json:"fixes_source"`
	Packages      []Package       `json:"packages"`
	Modules       *Selection      `json:"modules"`
	EngineModules *Selection      `json:"engine_modules"`
	// ModulesDepFrom says where modules.dep came from: "modules.dep" (the
	// tree's own, rewritten) or "modinfo" (generated).
	ModulesDepFrom     string `json:"modules_dep_from"`
	ModulesArchiveSize int64  `json:"modules_archive_size"`
	// UserPatches: the PATCHES= applied after the catalog's, in order.
	UserPatches []UserPatch `json:"user_patches,omitempty"`
}

// Key is the content key of e's prepared directory: its pins, its module
// list and the output format. Changing any of them prepares anew.
func Key(e *Entry) string {
	pins := struct {
		Format   int
		UnameR   string
		Source   string
		Packages []Package
		Build    *BuildSpec
		Modules  []string
		Inputs   string // content of embedded patches and fragments
		Engine   []string
	}{prepareFormat, e.UnameR, e.Source, e.Packages, e.Build, e.Modules, buildInputsHash(e.Build), e.EngineModules}
	b, _ := json.Marshal(pins) // plain structs: cannot fail
	// Appended only when present, so catalog kernels keep their keys.
	if len(e.UserPatches) > 0 {
		b = append(b, "\nuser-patches "+userPatchesID(e.UserPatches)...)
	}
	if e.Local != nil {
		b = append(b, "\nlocal "+e.Local.Key...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Dir is where e is prepared under cacheDir.
func Dir(cacheDir string, e *Entry) string {
	return filepath.Join(cacheDir, "kernels", e.Name+"-"+Key(e)[:12])
}

// Prepare makes e bootable: downloads its pinned packages into
// cacheDir/downloads (verified by size and sha256), and publishes
// cacheDir/kernels/<name>-<key12>/ with vmlinuz, config, modules.cpio.gz
// and kernel.json. A complete directory is reused without any download;
// concurrent runs serialise on the directory's lock. An entry Resolve made
// for a version outside the catalog is first looked up at the Ubuntu
// mainline mirror (a *MirrorError when that fails); Prepared.Entry is
// then the entry with its uname -r and packages filled in.
func Prepare(ctx context.Context, e *Entry, cacheDir string, progress io.Writer) (*Prepared, error) {
	return prepare(ctx, e, cacheDir, progress, deps{client: httpClient(), kbuild: kbuild.Build})
}

// deps are Prepare's ways out of the process; tests pass a fake kernel
// build so nothing compiles.
type deps struct {
	client *http.Client
	kbuild func(ctx context.Context, spec kbuild.Spec, outDir string, progress io.Writer) (*kbuild.Output, error)
}

func prepare(ctx context.Context, e *Entry, cacheDir string, progress io.Writer, d deps) (*Prepared, error) {
	if progress == nil {
		progress = io.Discard
	}
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(progress, "kernel %s: %s (%s)\n", e.Name, fmt.Sprintf(format, args...), time.Since(start).Round(100*time.Millisecond))
	}
	switch e.Source {
	case SourceDebian, SourceUbuntuMainline:
	case SourceBuild:
		if e.Build == nil || e.Build.Source == nil {
			return nil, fmt.Errorf("kernel %q: source %q needs build.source", e.Name, e.Source)
		}
	case SourceLocal:
		if e.Local == nil {
			return nil, fmt.Errorf("kernel %q: source %q is made by Catalog.LocalEntry", e.Name, e.Source)
		}
	case SourceKernelOrg:
		if len(e.Packages) != 1 {
			return nil, fmt.Errorf("kernel %q: source %q takes exactly one package, the source tarball; got %d", e.Name, e.Source, len(e.Packages))
		}
	default:
		return nil, fmt.Errorf("kernel %q: source %q: %w (valid: %s)", e.Name, e.Source, ErrNotSupported, strings.Join(sourceKinds, ", "))
	}
	if cacheDir == "" {
		return nil, errors.New("kernel: empty cache dir")
	}
	savePins := func() error { return nil }
	if e.mainline != nil {
		resolved, save, err := resolveMainline(ctx, e, cacheDir, d.client, logf)
		if err != nil {
			return nil, fmt.Errorf("prepare kernel %q: %w", e.Name, err)
		}
		e, savePins = resolved, save
	}
	key := Key(e)
	dir := Dir(cacheDir, e)
	cached := true
	err := cache.Publish(ctx, dir, func(tmp string) error {
		cached = false
		return build(ctx, e, key, cacheDir, tmp, progress, logf, d)
	})
	if err != nil {
		return nil, fmt.Errorf("prepare kernel %q: %w", e.Name, err)
	}
	p, err := readPrepared(e, dir)
	if err != nil {
		return nil, fmt.Errorf("prepare kernel %q: %w", e.Name, err)
	}
	if err := savePins(); err != nil {
		return nil, fmt.Errorf("prepare kernel %q: record mainline pins: %w", e.Name, err)
	}
	if cached {
		logf("cached in %s", dir)
	} else {
		logf("ready in %s", dir)
	}
	return p, nil
}

func readPrepared(e *Entry, dir string) (*Prepared, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileMetadata))
	if err != nil {
		return nil, err
	}
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, FileMetadata), err)
	}
	if m.Format != prepareFormat || m.Modules == nil || m.EngineModules == nil {
		return nil, fmt.Errorf("%s: format %d, want %d (remove the directory)", filepath.Join(dir, FileMetadata), m.Format, prepareFormat)
	}
	return &Prepared{
		Entry:                e,
		Key:                  m.Key,
		Dir:                  dir,
		Vmlinuz:              filepath.Join(dir, FileVmlinuz),
		ModulesArchive:       filepath.Join(dir, FileModules),
		Config:               filepath.Join(dir, FileConfig),
		UnameR:               m.UnameR,
		VmlinuzSHA256:        m.VmlinuzSHA256,
		Modules:              m.Modules.Order,
		EngineModulesArchive: filepath.Join(dir, FileEngineModules),
		EngineModules:        m.EngineModules.Order,
		Builtin:              m.Modules.Builtin,
		Missing:              m.Modules.Missing,
		Meta:                 &m,
	}, nil
}

// build fills tmp (to become the published directory).
func build(ctx context.Context, e *Entry, key, cacheDir, tmp string, progress io.Writer, logf func(string, ...any), d deps) error {
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700; QEMU may run as another user
		return err
	}
	unpack := filepath.Join(tmp, ".unpack")
	defer os.RemoveAll(unpack)
	// usr/lib, not lib: in the base image /lib is a symlink to usr/lib, and a
	// later archive with a lib/ directory entry would replace that symlink.
	modRoot := "usr/lib/modules/" + e.UnameR + "/"
	var (
		vmlinuz, config, depFrom, origDep string
		tree                              *diskTree
		err                               error
	)
	fixes := e.Fixes
	switch e.Source {
	case SourceBuild, SourceKernelOrg:
		bf, err := buildFromSource(ctx, e, cacheDir, unpack, progress, logf, d)
		if err != nil {
			return err
		}
		vmlinuz, config, fixes = bf.vmlinuz, bf.config, bf.fixes
		// Everything is built in: no module files, only modules.builtin.
		tree = emptyTree(bf.builtinText)
		depFrom = "none (built in)"
		if bf.log != "" {
			if err := copyFile(bf.log, filepath.Join(tmp, "build.log")); err != nil {
				return err
			}
		}
	case SourceLocal:
		if vmlinuz, config, tree, depFrom, err = localFiles(e, unpack, logf); err != nil {
			return err
		}
	default:
		vmlinuz, config, tree, depFrom, origDep, err = unpackBinary(ctx, e, newStore(cacheDir, d.client, progress), unpack, logf)
		if err != nil {
			return err
		}
	}
	vmSHA, err := moveHashed(vmlinuz, filepath.Join(tmp, FileVmlinuz))
	if err != nil {
		return err
	}
	if _, err := moveHashed(config, filepath.Join(tmp, FileConfig)); err != nil {
		return err
	}

	sel, size, err := packModules(tree, e.Modules, modRoot, origDep, filepath.Join(tmp, FileModules))
	if err != nil {
		return err
	}
	logf("%d modules packed (%d builtin, %d missing: %s), %s %.1f MB",
		len(sel.Loadable), len(sel.Builtin), len(sel.Missing), strings.Join(sel.Missing, " "), FileModules, float64(size)/1e6)
	engSel, engSize, err := packModules(tree, append(slices.Clone(e.Modules), e.EngineModules...), modRoot, origDep, filepath.Join(tmp, FileEngineModules))
	if err != nil {
		return fmt.Errorf("engine modules: %w", err)
	}
	logf("engine: %d modules packed (%d missing: %s), %s %.1f MB",
		len(engSel.Loadable), len(engSel.Missing), strings.Join(engSel.Missing, " "), FileEngineModules, float64(engSize)/1e6)

	meta := Metadata{
		Format: prepareFormat, Key: key, Name: e.Name, Release: e.Release, UnameR: e.UnameR, Source: e.Source,
		VmlinuzSHA256: vmSHA, Fixes: fixes, FixesSource: e.FixesSource, Packages: e.Packages,
		Modules: sel, EngineModules: engSel, ModulesDepFrom: depFrom, ModulesArchiveSize: size,
		UserPatches: e.UserPatches,
	}
	mb, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	if err := os.RemoveAll(unpack); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(tmp, FileMetadata), append(mb, '\n'), 0o644)
}

// unpackBinary fetches and unpacks binary kernel packages (debian,
// ubuntu-mainline) into unpack, returning vmlinuz, config and the module tree.
func unpackBinary(ctx context.Context, e *Entry, store *fetch.Store, unpack string, logf func(string, ...any)) (vmlinuz, config string, tree *diskTree, depFrom, origDep string, err error) {
	modRoot := "lib/modules/" + e.UnameR + "/"
	var debs []string
	for _, p := range e.Packages {
		f, err := store.Get(ctx, fetch.Item{URLs: packageURLs(e.Source, p), SHA256: p.SHA256, Size: p.Size})
		if err != nil {
			return "", "", nil, "", "", fmt.Errorf("package %s: %w", p.Package, err)
		}
		debs = append(debs, f)
	}
	logf("%d package(s) verified", len(debs))

	seenRoots := map[string]bool{}
	keep := func(name string) (string, bool) {
		// Newer Debian (trixie on) installs under /usr/lib/modules.
		name = strings.TrimPrefix(name, "usr/")
		if rest, ok := strings.CutPrefix(name, "lib/modules/"); ok {
			if u, _, ok := strings.Cut(rest, "/"); ok {
				seenRoots[u] = true
			}
		}
		switch {
		case name == "boot/vmlinuz-"+e.UnameR, name == "boot/config-"+e.UnameR:
			return name, true
		case strings.HasPrefix(name, modRoot+"kernel/"):
			return name, isModuleFile(name)
		case strings.HasPrefix(name, modRoot):
			switch path.Base(name) {
			case "vmlinuz", "config", "modules.builtin", "modules.dep":
				return name, true
			}
		}
		return "", false
	}
	for _, d := range debs {
		if _, err := unpackDeb(d, unpack, keep); err != nil {
			return "", "", nil, "", "", err
		}
		if err := ctx.Err(); err != nil {
			return "", "", nil, "", "", err
		}
	}
	logf("unpacked")

	find := func(what string, names ...string) (string, error) {
		for _, n := range names {
			p := filepath.Join(unpack, filepath.FromSlash(n))
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		roots := slices.Sorted(func(yield func(string) bool) {
			for r := range seenRoots {
				if !yield(r) {
					return
				}
			}
		})
		return "", fmt.Errorf("no %s in the packages (looked for %s; module dirs found: %v; is uname_r %q right?)",
			what, strings.Join(names, ", "), roots, e.UnameR)
	}
	vmlinuz, err = find("kernel image", "boot/vmlinuz-"+e.UnameR, modRoot+"vmlinuz")
	if err != nil {
		return "", "", nil, "", "", err
	}
	config, err = find("kernel config", "boot/config-"+e.UnameR, modRoot+"config")
	if err != nil {
		return "", "", nil, "", "", err
	}
	tree, depFrom, origDep, err = loadTree(filepath.Join(unpack, filepath.FromSlash(modRoot)))
	if err != nil {
		return "", "", nil, "", "", err
	}
	return vmlinuz, config, tree, depFrom, origDep, nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// moveHashed renames src to dst and returns dst's sha256.
func moveHashed(src, dst string) (string, error) {
	if err := os.Rename(src, dst); err != nil {
		return "", err
	}
	return cache.FileSHA256(dst)
}

// diskTree is a ModuleTree over an unpacked lib/modules/<u> directory. It
// keeps decompressed modules it has read, as Select reads each dependency's
// modinfo and the archive then needs the same bytes.
type diskTree struct {
	ModuleTree
	root        string
	builtinText string
	plainCache  map[string][]byte
}

func (t *diskTree) plain(name string) ([]byte, error) {
	if b, ok := t.plainCache[name]; ok {
		return b, nil
	}
	rel := t.Paths[name]
	raw, err := os.ReadFile(filepath.Join(t.root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	b, err := decompressModule(rel, raw)
	if err != nil {
		return nil, err
	}
	t.plainCache[name] = b
	return b, nil
}

// loadTree indexes the modules under root. Dependencies come from the
// tree's modules.dep when it has one, else from each module's modinfo.
func loadTree(root string) (t *diskTree, depFrom, origDep string, err error) {
	t = &diskTree{root: root, plainCache: map[string][]byte{}}
	t.Paths = map[string]string{}
	err = filepath.WalkDir(filepath.Join(root, "kernel"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		t.Paths[ModuleName(rel)] = filepath.ToSlash(rel)
		return nil
	})
	if err != nil {
		return nil, "", "", fmt.Errorf("index modules: %w", err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "modules.builtin")); err == nil {
		t.builtinText = string(b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", "", err
	}
	t.Builtin = ParseModulesBuiltin(t.builtinText)
	if b, err := os.ReadFile(filepath.Join(root, "modules.dep")); err == nil {
		_, deps, err := ParseModulesDep(string(b))
		if err != nil {
			return nil, "", "", err
		}
		t.Deps = func(name string) ([]string, error) { return deps[name], nil }
		return t, "modules.dep", string(b), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", "", err
	}
	t.Deps = func(name string) ([]string, error) {
		b, err := t.plain(name)
		if err != nil {
			return nil, err
		}
		deps, err := ModinfoDepends(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Paths[name], err)
		}
		return deps, nil
	}
	return t, "modinfo", "", nil
}

// packModules writes the closure of want (module files, modules.dep,
// modules.builtin) as a gzip'ed cpio fragment to file.
func packModules(tree *diskTree, want []string, modRoot, origDep, file string) (*Selection, int64, error) {
	sel, err := Select(want, tree.ModuleTree)
	if err != nil {
		return nil, 0, fmt.Errorf("module closure: %w", err)
	}
	files := []archiveFile{}
	for _, m := range sel.Loadable {
		data, err := tree.plain(m)
		if err != nil {
			return nil, 0, err
		}
		files = append(files, archiveFile{Name: modRoot + PlainModulePath(tree.Paths[m]), Data: data})
	}
	keepSet := map[string]bool{}
	for _, m := range sel.Loadable {
		keepSet[m] = true
	}
	depText := FormatModulesDep(sel, tree.Paths)
	if origDep != "" {
		depText = RewriteModulesDep(origDep, keepSet)
	}
	files = append(files,
		archiveFile{Name: modRoot + "modules.dep", Data: []byte(depText)},
		archiveFile{Name: modRoot + "modules.builtin", Data: []byte(tree.builtinText)},
	)
	var buf bytes.Buffer
	if err := writeCPIOGz(&buf, files); err != nil {
		return nil, 0, err
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		return nil, 0, err
	}
	return sel, int64(buf.Len()), nil
}
