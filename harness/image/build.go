// Package image builds the guest's kernel-independent userspace: one
// uncompressed newc cpio (base.cpio) with the agent as /init, busybox, and Debian's
// iptables/nft/ipset/ip/conntrack/ipvsadm/ab with exactly the libraries they
// load, from the .debs pinned in vmimages/packages.lock.
package image

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/debtree"
	"github.com/rolloutlab/rolloutlab/harness/fetch"
	"github.com/rolloutlab/rolloutlab/vmimages"
)

// EnvMirror overrides the Debian mirror the packages are fetched from.
const EnvMirror = "ROLLOUTLAB_DEBIAN_MIRROR"

// DefaultMirror is used when EnvMirror is unset.
const DefaultMirror = "http://deb.debian.org/debian"

// FileName is the archive's name inside its cache entry. It is not
// compressed: under TCG the kernel's inflate of the 11 MB gzip took most of
// the boot's initramfs unpack, while copying 26 MB is cheap for the
// loader's fw_cfg DMA and for the kernel.
const FileName = "base.cpio"

const metaName = "image.json"

// Options configures Build.
type Options struct {
	CacheDir    string    // cache root; "" means cache.Dir()
	AgentBinary string    // static guest agent, becomes /init
	Progress    io.Writer // nil: silent
}

// Image is a built (or cached) base archive.
type Image struct {
	Path     string // .../images/<key>/base.cpio
	SHA256   string // of the file at Path
	Key      string // hash of the inputs: lock, agent, selection rules
	Packages []LockEntry
	Size     int64 // bytes at Path
}

// meta is stored next to the archive so a cache hit needs no re-read of inputs.
type meta struct {
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Entries int    `json:"entries"`
}

// Mirror returns the Debian mirror base URL ($ROLLOUTLAB_DEBIAN_MIRROR or the default).
func Mirror() string {
	if m := os.Getenv(EnvMirror); m != "" {
		return strings.TrimRight(m, "/")
	}
	return DefaultMirror
}

// Build returns the base image for the embedded lock and opt.AgentBinary,
// building and publishing it into CacheDir/images/<key>/ on first use. The
// same inputs give a byte-identical archive; a later call only hashes the
// agent and the cached archive.
func Build(ctx context.Context, opt Options) (*Image, error) {
	return build(ctx, opt, vmimages.PackagesLock(), Mirror())
}

func build(ctx context.Context, opt Options, lock []byte, mirror string) (*Image, error) {
	entries, err := ParseLock(lock)
	if err != nil {
		return nil, err
	}
	if opt.AgentBinary == "" {
		return nil, errors.New("image: no agent binary given (Options.AgentBinary)")
	}
	agent, err := os.ReadFile(opt.AgentBinary)
	if err != nil {
		return nil, fmt.Errorf("image: read agent: %w", err)
	}
	if opt.CacheDir == "" {
		if opt.CacheDir, err = cache.Dir(); err != nil {
			return nil, err
		}
	}
	key := imageKey(lock, agent)
	dir := filepath.Join(opt.CacheDir, "images", key)
	img := &Image{Path: filepath.Join(dir, FileName), Key: key, Packages: entries}

	if m, err := readCached(dir); err == nil {
		img.SHA256, img.Size = m.SHA256, m.Size
		return img, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		logf(opt.Progress, "image: cached %s is bad (%v): rebuilding\n", dir, err)
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("image: remove bad cache entry: %w", err)
		}
	}
	err = cache.Publish(ctx, dir, func(tmp string) error {
		return assemble(ctx, opt, entries, mirror, agent, tmp)
	})
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	m, err := readCached(dir)
	if err != nil {
		return nil, fmt.Errorf("image: just published %s: %w", dir, err)
	}
	img.SHA256, img.Size = m.SHA256, m.Size
	return img, nil
}

// imageKey hashes everything the archive's bytes depend on.
func imageKey(lock, agent []byte) string {
	a := sha256.Sum256(agent)
	h := sha256.New()
	fmt.Fprintf(h, "rolloutlab base image\nformat newc uncompressed\nselection %s\nagent %x\nlock %d\n", selectionVersion, a, len(lock))
	h.Write(lock)
	return hex.EncodeToString(h.Sum(nil))
}

// readCached checks the published entry: metadata present and the archive
// still hashing to it (as fetch does for downloads, a damaged entry is rebuilt).
func readCached(dir string) (meta, error) {
	var m meta
	if err := cache.ReadMeta(dir, metaName, &m); err != nil {
		return m, err
	}
	sum, size, err := cache.FileSHA256Size(filepath.Join(dir, FileName))
	if err != nil {
		return m, err
	}
	if sum != m.SHA256 || size != m.Size {
		return m, fmt.Errorf("%s is %d bytes sha256 %s, metadata says %d bytes %s", FileName, size, sum, m.Size, m.SHA256)
	}
	return m, nil
}

// assemble fetches and unpacks the packages, selects the files and writes
// base.cpio plus its metadata into dir.
func assemble(ctx context.Context, opt Options, entries []LockEntry, mirror string, agent []byte, dir string) error {
	start := time.Now()
	t, err := Unpack(ctx, opt.CacheDir, mirror, entries, opt.Progress)
	if err != nil {
		return err
	}
	files, _, err := selectFiles(t, agent)
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, FileName))
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	cw := &countWriter{w: bw}
	if err := writeCPIO(cw, files); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	m := meta{SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n, Entries: len(files)}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := cache.WriteFileAtomic(filepath.Join(dir, metaName), append(b, '\n'), 0o644); err != nil {
		return err
	}
	logf(opt.Progress, "image: %s %.1f MB (%d files) in %s\n",
		FileName, float64(m.Size)/1e6, len(files), time.Since(start).Round(time.Millisecond))
	return nil
}

// Unpack fetches every pinned .deb from mirror into cacheDir's download
// store (size and SHA-256 verified) and unpacks them, in lock order, into
// one tree.
func Unpack(ctx context.Context, cacheDir, mirror string, entries []LockEntry, progress io.Writer) (debtree.Tree, error) {
	store := &fetch.Store{Dir: filepath.Join(cacheDir, "downloads"), Progress: progress}
	t := debtree.Tree{}
	for _, e := range entries {
		file, err := store.Get(ctx, fetch.Item{URLs: []string{mirror + "/" + e.PoolPath}, SHA256: e.SHA256, Size: e.Size})
		if err != nil {
			return nil, fmt.Errorf("fetch %s %s: %w", e.Package, e.Version, err)
		}
		if err := debtree.ExtractDeb(file, e.Package, t); err != nil {
			return nil, fmt.Errorf("unpack: %w", err)
		}
	}
	return t, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

func cacheDir() (string, error) { return cache.Dir() }
