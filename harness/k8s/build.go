package k8s

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/cache"
)

// Builder compiles Binaries into the cache.
type Builder struct {
	CacheDir string
	Progress io.Writer
	GoBinary string // default "go"
}

func (bl *Builder) goBin() string {
	if bl.GoBinary != "" {
		return bl.GoBinary
	}
	return "go"
}

// GoVersion is the toolchain's version ("go1.26.8"), part of every cache key.
func (bl *Builder) GoVersion(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, bl.goBin(), "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// cacheKey names a built binary by what decides its bytes.
func cacheKey(b Binary, goVersion string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%q\n%q\n", b.Module, b.Version, b.Package, goVersion, b.Overrides, b.LDFlags)
	// Only when set, so keys of binaries cached before these fields existed stay valid.
	if len(b.Tags) > 0 {
		fmt.Fprintf(h, "tags %q\n", b.Tags)
	}
	if b.Patch != nil {
		fmt.Fprintf(h, "patch %s\n", b.Patch.SHA256())
	}
	return fmt.Sprintf("%s-%s-%s", b.Name, goVersion, hex.EncodeToString(h.Sum(nil))[:12])
}

// binPath is b's cache entry and the binary in it.
func (bl *Builder) binPath(b Binary, goVersion string) (entry, bin string) {
	entry = filepath.Join(bl.CacheDir, "k8s", "bin", cacheKey(b, goVersion))
	return entry, filepath.Join(entry, b.Name)
}

// Build returns the path of b's binary, building it on a cache miss.
func (bl *Builder) Build(ctx context.Context, b Binary) (string, error) {
	gov, err := bl.GoVersion(ctx)
	if err != nil {
		return "", err
	}
	final, bin := bl.binPath(b, gov)
	if _, err := os.Stat(bin); err == nil {
		bl.logf("    %s: cached (%s)", b.Name, bin)
		return bin, nil
	}
	err = cache.Publish(ctx, final, func(tmp string) error {
		return bl.compile(ctx, b, gov, filepath.Join(tmp, b.Name))
	})
	if err != nil {
		return "", fmt.Errorf("build %s (%s@%s): %w", b.Name, b.Module, b.Version, err)
	}
	sweepStale(final)
	return bin, nil
}

// sweepStale removes the temporary dirs that killed runs (SIGKILL: no
// deferred cleanup) left beside entry. Once entry exists nobody makes new
// ones (Publish checks for it under its lock), so any left are stale.
func sweepStale(entry string) {
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(entry), "."+filepath.Base(entry)+".tmp-*"))
	for _, d := range left {
		_ = os.RemoveAll(d) // best effort: only disk space is at stake
	}
}

// compile runs `go build` in the throwaway module of b's module version.
func (bl *Builder) compile(ctx context.Context, b Binary, goVersion, out string) error {
	work := filepath.Join(bl.CacheDir, "k8s", "work", workName(b))
	unlock, err := cache.Lock(ctx, work)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	dl, err := bl.download(ctx, b)
	if err != nil {
		return err
	}
	depMod, err := os.ReadFile(dl.GoMod)
	if err != nil {
		return err
	}
	if b.Patch != nil {
		if err := patchedSource(dl.Dir, filepath.Join(work, PatchedSourceDir), b.Patch); err != nil {
			return fmt.Errorf("patch %s@%s: %w", b.Module, b.Version, err)
		}
	}
	mod, err := GoMod(b, depMod, goLang(goVersion))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "go.mod"), mod, 0o644); err != nil {
		return err
	}
	bl.logf("    building %s from %s@%s with %s (minutes on a cold cache)", b.Name, b.Module, b.Version, goVersion)
	return bl.goBuild(ctx, work, b, out)
}

// workName names b's throwaway module dir; a patched source gets its own.
func workName(b Binary) string {
	n := strings.ReplaceAll(b.Module, "/", "_") + "@" + b.Version
	if b.Patch != nil {
		n += "+" + b.Patch.SHA256()[:12]
	}
	return n
}

// goBuild compiles b.Package in dir, a module that requires it, into out.
func (bl *Builder) goBuild(ctx context.Context, dir string, b Binary, out string) error {
	ldflags := strings.Join(append([]string{"-s", "-w"}, b.LDFlags...), " ")
	args := []string{"build", "-trimpath", "-ldflags", ldflags}
	if len(b.Tags) > 0 {
		args = append(args, "-tags", strings.Join(b.Tags, ","))
	}
	cmd := exec.CommandContext(ctx, bl.goBin(), append(args, "-o", out, b.Package)...)
	cmd.Dir = dir
	// -mod=mod lets go fill go.sum and the build list from the proxy.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=mod")
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	stop := bl.ticker(b.Name, start)
	err := cmd.Run()
	stop()
	if err != nil {
		return fmt.Errorf("go build %s: %w\n%s", b.Package, err, tail(log.String(), 4000))
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	bl.logf("    built %s in %s (%.1f MiB)", b.Name, time.Since(start).Round(time.Second), float64(st.Size())/(1<<20))
	return nil
}

// downloaded is what `go mod download -json` reports about a module.
type downloaded struct{ GoMod, Dir string }

// download fetches module@version into the module cache.
func (bl *Builder) download(ctx context.Context, b Binary) (downloaded, error) {
	cmd := exec.CommandContext(ctx, bl.goBin(), "mod", "download", "-json", b.Module+"@"+b.Version)
	cmd.Dir = os.TempDir() // outside any module: only the proxy matters
	out, err := cmd.Output()
	var info struct{ GoMod, Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return downloaded{}, fmt.Errorf("download %s@%s: %s", b.Module, b.Version, info.Error)
	}
	if err != nil {
		return downloaded{}, fmt.Errorf("download %s@%s: %w", b.Module, b.Version, err)
	}
	return downloaded{GoMod: info.GoMod, Dir: info.Dir}, nil
}

// ticker prints a line with the elapsed time every 30 s until stopped.
func (bl *Builder) ticker(name string, start time.Time) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				bl.logf("    still building %s (%s)", name, time.Since(start).Round(time.Second))
			}
		}
	}()
	return func() { close(done) }
}

func (bl *Builder) logf(format string, args ...any) {
	if bl.Progress != nil {
		fmt.Fprintf(bl.Progress, format+"\n", args...)
	}
}

// goLang turns "go1.26.8" into the go directive "1.26".
func goLang(goVersion string) string {
	v := strings.TrimPrefix(goVersion, "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		minor := parts[1]
		if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			minor = minor[:i] // "27rc1" -> "27"
		}
		return parts[0] + "." + minor
	}
	return v
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
