package report

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
)

// Render writes matrix.md, matrix.html and charts/*.svg under root. Charts
// from earlier renders that no longer correspond to an entry are removed,
// so the directory always matches the markdown.
func Render(root string, m *Matrix) error {
	charts, err := Charts(m)
	if err != nil {
		return err
	}
	dir := filepath.Join(root, resultfile.ChartsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create charts dir: %w", err)
	}
	keep := map[string]bool{}
	for _, c := range charts {
		keep[c.Name] = true
		if err := writeFile(filepath.Join(dir, c.Name), c.SVG); err != nil {
			return err
		}
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	for _, p := range old {
		if !keep[filepath.Base(p)] {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("remove stale chart: %w", err)
			}
		}
	}
	if err := writeFile(filepath.Join(root, MatrixMD), RenderMarkdown(m)); err != nil {
		return err
	}
	html, err := RenderHTML(m, charts)
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(root, MatrixHTML), html)
}

func writeFile(p string, b []byte) error {
	// Same bytes: leave the file (and its mtime) alone.
	if old, err := os.ReadFile(p); err == nil && string(old) == string(b) {
		return nil
	}
	if err := cache.WriteFileAtomic(p, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
