package nodeimage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/debtree"
	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/vmimages"
)

// builderVersion names the assembly code; bump it when a change alters
// the archives' bytes without changing any manifest.
const builderVersion = "nodeimage-v3" // v2: setuid, setgid and sticky bits kept; v3: package globs take symlinks

// Options configures Build.
type Options struct {
	Binaries       map[string]string // guest name (kubeadm, etcd, ptp, ...) -> host path
	CacheDir       string            // "" means cache.Dir()
	Mirror         string            // "" means image.Mirror()
	ComponentsOnly bool              // build only the component images whose binaries exist
	Progress       io.Writer
	lock           []byte // tests: a lock other than vmimages/kind-node.lock
	kindDir        string // tests: kind files from here instead of the module cache
}

// Built is one archive, built now or found in the cache.
type Built struct {
	Name         string
	Tags         []string
	Path         string
	Key          string // hash of the inputs
	SHA256       string // of the archive
	Size         int64  // archive bytes
	Uncompressed int64  // layer tar bytes
	Cached       bool
	Duration     time.Duration
}

// Result is what Build produced.
type Result struct {
	Components []Built
	Node       *Built // nil with ComponentsOnly
	Packages   int
	// PackageBytes is the installed size of the unpacked packages (0 when
	// everything came from the cache).
	PackageBytes int64
}

const (
	archiveName = "image.tar"
	metaName    = "image.json"
)

// builder holds one Build's state; the package tree is unpacked lazily,
// only if something has to be built.
type builder struct {
	opt     Options
	lock    []byte
	entries []image.LockEntry
	hashes  map[string]string // input name -> sha256
	tree    debtree.Tree
	res     *Result
	log     func(string, ...any)
}

// Build makes every component image whose binaries are given and, unless
// ComponentsOnly, the node image that carries them. Each archive is
// published atomically into CacheDir/kind-images/<key>/ and reused while
// its inputs hash the same.
func Build(ctx context.Context, opt Options) (*Result, error) {
	b := &builder{opt: opt, lock: opt.lock, hashes: map[string]string{}, res: &Result{}}
	b.log = func(f string, a ...any) { logf(opt.Progress, f, a...) }
	if b.lock == nil {
		b.lock = vmimages.KindNodeLock()
	}
	var err error
	if b.entries, err = image.ParseLock(b.lock); err != nil {
		return nil, fmt.Errorf("kind-node.lock: %w", err)
	}
	b.res.Packages = len(b.entries)
	if b.opt.Mirror == "" {
		b.opt.Mirror = image.Mirror()
	}
	if b.opt.CacheDir == "" {
		if b.opt.CacheDir, err = cache.Dir(); err != nil {
			return nil, err
		}
	}
	t := &stepTimer{log: b.log, start: time.Now()}
	for n, p := range opt.Binaries {
		if b.hashes[n], err = cache.FileSHA256(p); err != nil {
			return nil, fmt.Errorf("input binary %s: %w", n, err)
		}
	}
	t.done("hashed %d input binaries", len(opt.Binaries))

	have := map[string]bool{}
	for n := range opt.Binaries {
		have[n] = true
	}
	images := ComponentImages()
	for _, img := range images {
		m, err := ComponentManifest(img, have)
		if err != nil {
			if opt.ComponentsOnly {
				b.log("nodeimage: skip %s: %v\n", img.Name, err)
				continue
			}
			return nil, err
		}
		c, err := b.component(ctx, img, m)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", img.Name, err)
		}
		b.res.Components = append(b.res.Components, *c)
	}
	if opt.ComponentsOnly {
		return b.res, nil
	}
	m, err := NodeManifest(images, have)
	if err != nil {
		return nil, err
	}
	n, err := b.node(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("node image: %w", err)
	}
	b.res.Node = n
	return b.res, nil
}

// key hashes everything an archive's bytes depend on.
func (b *builder) key(kind string, m *Manifest, extra ...string) string {
	h := sha256.New()
	fmt.Fprintf(h, "rolloutlab %s\nbuilder %s\nlock %x\n", kind, builderVersion, sha256.Sum256(b.lock))
	inputs := map[string]bool{}
	for _, e := range m.Entries() {
		if e.Source.Input != "" {
			inputs[e.Source.Input] = true
		}
	}
	for _, n := range slices.Sorted(mapKeys(inputs)) {
		fmt.Fprintf(h, "input %s %s\n", n, b.hashes[n])
	}
	for _, x := range extra {
		fmt.Fprintf(h, "%s\n", x)
	}
	io.WriteString(h, m.Describe())
	return hex.EncodeToString(h.Sum(nil))
}

func (b *builder) component(ctx context.Context, img ComponentImage, m *Manifest) (*Built, error) {
	cfg := imageConfig{Entrypoint: img.Entrypoint, Env: []string{imagePath}, User: img.User}
	cfgJSON, _ := json.Marshal(cfg)
	key := b.key("component "+img.Name, m, "tags "+strings.Join(img.Tags, " "), "config "+string(cfgJSON))
	return b.publish(ctx, img.Name, img.Tags, key, func(dst string) (layerStats, error) {
		t, err := b.packages(ctx)
		if err != nil {
			return layerStats{}, err
		}
		if err := addELFClosure(m, t, b.opt.Binaries); err != nil {
			return layerStats{}, err
		}
		s, err := b.materialize(m, t, nil, "")
		if err != nil {
			return layerStats{}, err
		}
		return writeArchive(dst, s, cfg, img.Tags)
	})
}

func (b *builder) node(ctx context.Context, m *Manifest) (*Built, error) {
	archives := map[string]string{}
	var extra []string
	for _, c := range b.res.Components {
		archives[c.Name] = c.Path
		extra = append(extra, "image "+c.Name+" "+c.SHA256)
	}
	extra = append(extra, "kind "+KindModule+"@"+KindVersion+" "+KindModuleHash)
	key := b.key("node", m, extra...)
	tag := fmt.Sprintf("%s:%s-%s", NodeRepository, KubernetesVersion, key[:12])
	cfg := imageConfig{
		Entrypoint: []string{"/usr/local/bin/entrypoint", "/sbin/init"},
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "container=docker"},
		StopSignal: "SIGRTMIN+3",
	}
	return b.publish(ctx, "kind-node", []string{tag}, key, func(dst string) (layerStats, error) {
		kindDir := b.opt.kindDir
		if kindDir == "" {
			var err error
			t := &stepTimer{log: b.log, start: time.Now()}
			if kindDir, err = kindModuleDir(ctx); err != nil {
				return layerStats{}, err
			}
			t.done("kind module %s@%s verified (%s)", KindModule, KindVersion, KindModuleHash)
		}
		t, err := b.packages(ctx)
		if err != nil {
			return layerStats{}, err
		}
		s, err := b.nodeLayer(m, t, archives, kindDir)
		if err != nil {
			return layerStats{}, err
		}
		return writeArchive(dst, s, cfg, []string{tag})
	})
}

// nodeLayer is the node's root: every packaged file except the removed
// ones, the derived account and CA files, then the manifest on top.
func (b *builder) nodeLayer(m *Manifest, t debtree.Tree, archives map[string]string, kindDir string) (layerSet, error) {
	s := layerSet{}
	for k, n := range t {
		if removed(m.Remove, k) {
			continue
		}
		s.put(layerEntry{path: k, mode: n.Mode, data: n.Data, target: n.Target})
	}
	passwd, group, err := deriveAccounts(t)
	if err != nil {
		return nil, err
	}
	s.put(layerEntry{path: "etc/passwd", mode: 0o644, data: passwd})
	s.put(layerEntry{path: "etc/group", mode: 0o644, data: group})
	ca, err := deriveCABundle(t)
	if err != nil {
		return nil, err
	}
	s.put(layerEntry{path: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: ca})
	return b.materialize(m, t, s, kindDir, archives)
}

func removed(globs []string, p string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(debtree.Canon(g), p); ok {
			return true
		}
	}
	return false
}

// materialize turns manifest entries into layer entries over base.
func (b *builder) materialize(m *Manifest, t debtree.Tree, base layerSet, kindDir string, archives ...map[string]string) (layerSet, error) {
	s := base
	if s == nil {
		s = layerSet{}
	}
	var imgs map[string]string
	if len(archives) > 0 {
		imgs = archives[0]
	}
	for _, e := range m.Entries() {
		le := layerEntry{path: e.Path}
		switch e.Kind {
		case KindDir:
			le.mode = fs.ModeDir | e.Mode
		case KindSymlink:
			le.mode, le.target = fs.ModeSymlink|0o777, e.Target
		default:
			le.mode = e.Mode
			switch src := e.Source; {
			case src.Input != "":
				le.hostPath = b.opt.Binaries[src.Input]
			case src.KindFile != "":
				le.hostPath = filepath.Join(kindDir, filepath.FromSlash(src.KindFile))
				if _, err := os.Stat(le.hostPath); err != nil {
					return nil, fmt.Errorf("kind base file: %w", err)
				}
			case src.Image != "":
				if le.hostPath = imgs[src.Image]; le.hostPath == "" {
					return nil, fmt.Errorf("%s: component image %s was not built", e.Path, src.Image)
				}
			case src.Package != "":
				data, err := entryBytes(e, t, nil)
				if err != nil {
					return nil, err
				}
				le.data = data
			default:
				le.data = src.Inline
			}
		}
		s.put(le)
	}
	return s, nil
}

// packages unpacks the lock's packages once per Build.
func (b *builder) packages(ctx context.Context) (debtree.Tree, error) {
	if b.tree != nil {
		return b.tree, nil
	}
	t := &stepTimer{log: b.log, start: time.Now()}
	tr, err := image.Unpack(ctx, b.opt.CacheDir, b.opt.Mirror, b.entries, b.opt.Progress)
	if err != nil {
		return nil, err
	}
	b.tree = tr
	b.res.PackageBytes = treeSize(tr)
	t.done("unpacked %d packages, %.1f MB installed", len(b.entries), float64(b.res.PackageBytes)/1e6)
	return tr, nil
}

// treeSize is the bytes of regular files in t (the installed size).
func treeSize(t debtree.Tree) int64 {
	var n int64
	for _, f := range t {
		n += int64(len(f.Data))
	}
	return n
}

// meta is stored beside each archive.
type meta struct {
	SHA256       string   `json:"sha256"`
	Size         int64    `json:"size"`
	Uncompressed int64    `json:"uncompressed"`
	Tags         []string `json:"tags"`
}

// publish returns the cached archive for key, or builds it with write into
// a temporary directory that is renamed into place only when complete.
func (b *builder) publish(ctx context.Context, name string, tags []string, key string, write func(dst string) (layerStats, error)) (*Built, error) {
	start := time.Now()
	dir := filepath.Join(b.opt.CacheDir, "kind-images", name+"-"+key[:16])
	out := &Built{Name: name, Tags: tags, Path: filepath.Join(dir, archiveName), Key: key}
	m, err := readMeta(dir)
	if err == nil {
		out.SHA256, out.Size, out.Uncompressed, out.Cached = m.SHA256, m.Size, m.Uncompressed, true
		out.Duration = time.Since(start)
		b.log("nodeimage: %s cached: %s (%.1f MB)\n", name, out.Path, float64(m.Size)/1e6)
		return out, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		b.log("nodeimage: cached %s is bad (%v): rebuilding\n", dir, err)
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("remove bad cache entry: %w", err)
		}
	}
	err = cache.Publish(ctx, dir, func(tmp string) error {
		t := &stepTimer{log: b.log, start: time.Now()}
		dst := filepath.Join(tmp, archiveName)
		st, err := write(dst)
		if err != nil {
			return err
		}
		sum, err := cache.FileSHA256(dst)
		if err != nil {
			return err
		}
		fi, err := os.Stat(dst)
		if err != nil {
			return err
		}
		mb, _ := json.MarshalIndent(meta{SHA256: sum, Size: fi.Size(), Uncompressed: st.Uncompressed, Tags: tags}, "", "  ")
		if err := cache.WriteFileAtomic(filepath.Join(tmp, metaName), append(mb, '\n'), 0o644); err != nil {
			return err
		}
		t.done("built %s: %.1f MB archive, layer %.1f MB uncompressed / %.1f MB gzip", name, float64(fi.Size())/1e6, float64(st.Uncompressed)/1e6, float64(st.Compressed)/1e6)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m, err = readMeta(dir); err != nil {
		return nil, fmt.Errorf("just published %s: %w", dir, err)
	}
	out.SHA256, out.Size, out.Uncompressed = m.SHA256, m.Size, m.Uncompressed
	out.Duration = time.Since(start)
	return out, nil
}

// readMeta checks a published entry: metadata present and the archive
// still hashing to it; a damaged entry is rebuilt.
func readMeta(dir string) (meta, error) {
	var m meta
	if err := cache.ReadMeta(dir, metaName, &m); err != nil {
		return m, err
	}
	sum, err := cache.FileSHA256(filepath.Join(dir, archiveName))
	if err != nil {
		return m, err
	}
	if sum != m.SHA256 {
		return m, fmt.Errorf("%s hashes to %s, metadata says %s", archiveName, sum, m.SHA256)
	}
	return m, nil
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
