package resultfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/cache"
)

// Write stores f as dir/result.json plus one records file per cell, each
// written atomically; result.json goes last, so a directory with a
// result.json is complete. files maps record file names to their bytes.
func Write(dir string, f *File, files map[string][]byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create result dir: %w", err)
	}
	for name, data := range files {
		if strings.ContainsAny(name, "/\\") || name == "" || name == "result.json" {
			return "", fmt.Errorf("refusing records file name %q from the guest", name)
		}
		if err := cache.WriteFileAtomic(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", fmt.Errorf("write records %s: %w", name, err)
		}
	}
	f.Format = Format
	finishHostLoad(f)
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode result: %w", err)
	}
	p := filepath.Join(dir, "result.json")
	if err := cache.WriteFileAtomic(p, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write result: %w", err)
	}
	return p, nil
}
