package k8s

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Builds pause/main.go (the embedded copy) through Builder: a static binary
// in a published cache entry, found again without building.
func TestBuildPause(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	src, err := os.ReadFile("pause/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if s := sha256.Sum256(src); pauseBinary().Version != hex.EncodeToString(s[:])[:12] {
		t.Fatal("embedded pause source differs from pause/main.go")
	}
	bl := &Builder{CacheDir: t.TempDir()}
	gov, err := bl.GoVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	entry, _ := bl.binPath(pauseBinary(), gov)
	stale := filepath.Join(filepath.Dir(entry), "."+filepath.Base(entry)+".tmp-123")
	if err := os.MkdirAll(filepath.Join(stale, "src-1"), 0o755); err != nil { // as a SIGKILLed run leaves it
		t.Fatal(err)
	}
	bin, err := bl.BuildPause(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if static, err := IsStatic(bin); err != nil || !static {
		t.Errorf("pause static=%v (%v)", static, err)
	}
	out, err := exec.Command(bin, "-v").Output()
	if err != nil || strings.TrimSpace(string(out)) != "rolloutlab-pause 1" {
		t.Errorf("pause -v: %q %v", out, err)
	}
	again, err := bl.BuildPause(context.Background())
	if err != nil || again != bin {
		t.Errorf("second build %s (%v), want cached %s", again, err, bin)
	}
	ents, _ := os.ReadDir(filepath.Dir(entry))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary entry left: %s", e.Name())
		}
	}
	if static, err := IsStatic("/bin/sh"); err == nil && static {
		t.Log("/bin/sh is static here") // Debian's dash is dynamic; not an error either way
	}
}
