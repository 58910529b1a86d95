package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/vmimages"
)

// EngineFileName is the engine root image inside its cache entry.
const EngineFileName = "engine.ext4"

// engineLayout names the rules in engine_tree.go; part of the key: bump it
// when they change so cached images are rebuilt.
const engineLayout = "engine-v2" // v2: setuid/setgid/sticky bits kept

// EngineRoot is a built (or cached) read-only engine root image.
type EngineRoot struct {
	Path     string // .../engine/<key>/engine.ext4
	Key      string
	Size     int64 // bytes of the image file (apparent size)
	Files    int
	Packages []LockEntry
	Cached   bool          // found in the cache, nothing built
	Took     time.Duration // build time (0 when cached)
}

type engineMeta struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Files  int    `json:"files"`
	Tree   int64  `json:"tree_bytes"`
}

// BuildEngineRoot returns the engine root for the embedded engine.lock,
// building and publishing it into cacheDir/engine/<key>/ on first use. The
// entry appears only complete (cache.Publish); a later call only reads
// its metadata and checks the image's size.
func BuildEngineRoot(ctx context.Context, cacheDir string, progress io.Writer) (*EngineRoot, error) {
	return buildEngineRoot(ctx, cacheDir, progress, vmimages.EngineLock(), Mirror())
}

func buildEngineRoot(ctx context.Context, cacheDir string, progress io.Writer, lock []byte, mirror string) (*EngineRoot, error) {
	entries, err := ParseLock(lock)
	if err != nil {
		return nil, fmt.Errorf("engine.lock: %w", err)
	}
	if cacheDir == "" {
		if cacheDir, err = cache.Dir(); err != nil {
			return nil, err
		}
	}
	key := engineKey(lock)
	dir := filepath.Join(cacheDir, "engine", key)
	r := &EngineRoot{Path: filepath.Join(dir, EngineFileName), Key: key, Packages: entries}
	if m, err := readEngineMeta(dir); err == nil {
		r.Size, r.Files, r.Cached = m.Size, m.Files, true
		return r, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		logf(progress, "engine root: cached %s is bad (%v): rebuilding\n", dir, err)
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("engine root: remove bad cache entry: %w", err)
		}
	}
	tool, err := MkfsTool(ctx, progress)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	err = cache.Publish(ctx, dir, func(tmp string) error {
		return assembleEngine(ctx, cacheDir, progress, entries, mirror, tool, tmp)
	})
	if err != nil {
		return nil, fmt.Errorf("engine root: %w", err)
	}
	m, err := readEngineMeta(dir)
	if err != nil {
		return nil, fmt.Errorf("engine root: just published %s: %w", dir, err)
	}
	r.Size, r.Files, r.Took = m.Size, m.Files, time.Since(start)
	return r, nil
}

func engineKey(lock []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "rolloutlab engine root\nlayout %s\nlock %d\n", engineLayout, len(lock))
	h.Write(lock)
	return hex.EncodeToString(h.Sum(nil))
}

// readEngineMeta accepts an entry whose image has the recorded size.
// Hashing 400 MB on every run would cost seconds; Publish already makes
// a torn entry impossible, the size catches a truncated copy.
func readEngineMeta(dir string) (engineMeta, error) {
	var m engineMeta
	if err := cache.ReadMeta(dir, metaName, &m); err != nil {
		return m, err
	}
	st, err := os.Stat(filepath.Join(dir, EngineFileName))
	if err != nil {
		return m, fmt.Errorf("%s: %w", EngineFileName, errors.Join(err, errors.New("entry incomplete")))
	}
	if st.Size() != m.Size {
		return m, fmt.Errorf("%s is %d bytes, metadata says %d", EngineFileName, st.Size(), m.Size)
	}
	return m, nil
}

// assembleEngine unpacks the packages into a staging directory, applies
// what the maintainer scripts would have done, and makes the ext4 image.
func assembleEngine(ctx context.Context, cacheDir string, progress io.Writer, entries []LockEntry, mirror, tool, dir string) error {
	start := time.Now()
	t, err := Unpack(ctx, cacheDir, mirror, entries, progress)
	if err != nil {
		return err
	}
	if err := engineFixups(t); err != nil {
		return err
	}
	stage := filepath.Join(dir, "rootfs")
	n, bytes, err := writeTree(t, stage)
	if err != nil {
		return fmt.Errorf("write staging tree: %w", err)
	}
	// ld.so finds Debian's multiarch dirs without a cache, but a cache is
	// what a dpkg-installed system has (libc-bin's trigger writes it).
	if ldconfig, err := exec.LookPath("ldconfig"); err == nil {
		if out, err := exec.CommandContext(ctx, ldconfig, "-r", stage).CombinedOutput(); err != nil {
			return fmt.Errorf("ldconfig -r: %w\n%s", err, out)
		}
	}
	file := filepath.Join(dir, EngineFileName)
	if err := runMkfs(ctx, tool, Mkfs{File: file, Dir: stage, Label: "rl-engine", SizeBytes: engineImageSize(bytes, n)}); err != nil {
		return err
	}
	if err := os.RemoveAll(stage); err != nil {
		return err
	}
	sum, size, err := cache.FileSHA256Size(file)
	if err != nil {
		return err
	}
	m := engineMeta{SHA256: sum, Size: size, Files: n, Tree: bytes}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := cache.WriteFileAtomic(filepath.Join(dir, metaName), append(b, '\n'), 0o644); err != nil {
		return err
	}
	logf(progress, "engine root: %s %.0f MiB (%d entries, %.0f MiB of files) in %s\n",
		EngineFileName, float64(size)/(1<<20), n, float64(bytes)/(1<<20), time.Since(start).Round(time.Millisecond))
	return ctx.Err()
}

// engineImageSize leaves room for ext4's metadata (a 4 KiB block per
// small file at worst, inode tables) plus a margin, rounded to 16 MiB.
func engineImageSize(fileBytes int64, entries int) int64 {
	const mib = 1 << 20
	s := fileBytes + fileBytes/10 + int64(entries)*4096 + 64*mib
	return (s + 16*mib - 1) / (16 * mib) * (16 * mib)
}
