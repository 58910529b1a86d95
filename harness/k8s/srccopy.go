package k8s

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// PatchedSourceDir is where, inside a patched binary's build dir, the
// patched copy of the module lives (go.mod replaces the module with it).
const PatchedSourceDir = "src"

// patchedSource makes dst a fresh, writable copy of the module source at src
// (the read-only module cache) with p applied. It starts from scratch every
// time, so a copy left half-done by an interrupted build never survives.
func patchedSource(src, dst string, p *Patch) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := copyTree(src, dst); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return p.Apply(dst)
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(path, target)
		default:
			return fmt.Errorf("%s: not a regular file or directory", path) // module zips hold neither links nor devices
		}
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
