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
	return fmt.Sprintf("%s-%s-%s", b.Name, goVersion, hex.EncodeToString(h.Sum(nil))[:12])
}

// Build returns the path of b's binary, building it on a cache miss.
func (bl *Builder) Build(ctx context.Context, b Binary) (string, error) {
	gov, err := bl.GoVersion(ctx)
	if err != nil {
		return "", err
	}
	final := filepath.Join(bl.CacheDir, "k8s", "bin", cacheKey(b, gov))
	bin := filepath.Join(final, b.Name)
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
	return bin, nil
}

// compile runs `go build` in the throwaway module of b's module version.
func (bl *Builder) compile(ctx context.Context, b Binary, goVersion, out string) error {
	work := filepath.Join(bl.CacheDir, "k8s", "work", strings.ReplaceAll(b.Module, "/", "_")+"@"+b.Version)
	unlock, err := cache.Lock(ctx, work)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	depMod, err := bl.downloadGoMod(ctx, work, b)
	if err != nil {
		return err
	}
	mod, err := GoMod(b, depMod, goLang(goVersion))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "go.mod"), mod, 0o644); err != nil {
		return err
	}
	ldflags := strings.Join(append([]string{"-s", "-w"}, b.LDFlags...), " ")
	cmd := exec.CommandContext(ctx, bl.goBin(), "build", "-trimpath", "-ldflags", ldflags, "-o", out, b.Package)
	cmd.Dir = work
	// -mod=mod lets go fill go.sum and the build list from the proxy.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=mod")
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	bl.logf("    building %s from %s@%s with %s (minutes on a cold cache)", b.Name, b.Module, b.Version, goVersion)
	stop := bl.ticker(b.Name, start)
	err = cmd.Run()
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

// downloadGoMod fetches module@version and returns its go.mod text.
func (bl *Builder) downloadGoMod(ctx context.Context, dir string, b Binary) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bl.goBin(), "mod", "download", "-json", b.Module+"@"+b.Version)
	cmd.Dir = os.TempDir() // outside any module: only the proxy matters
	out, err := cmd.Output()
	var info struct{ GoMod, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return nil, fmt.Errorf("download %s@%s: %s", b.Module, b.Version, info.Error)
	}
	if err != nil {
		return nil, fmt.Errorf("download %s@%s: %w", b.Module, b.Version, err)
	}
	return os.ReadFile(info.GoMod)
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
