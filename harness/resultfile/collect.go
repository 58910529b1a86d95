package resultfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// ChartsDir is where the reports keep their charts under a results root;
// it sits beside the kernels' directories and is not one.
const ChartsDir = "charts"

// Run is one boot's result.json as found on disk.
type Run struct {
	Dir  string // the result directory
	ID   string // its base name, the run id
	File *File
}

// Skipped is a directory that looked like a run but could not be used:
// no result.json (killed or still running) or an unreadable one.
type Skipped struct {
	Dir    string
	Reason string
}

// Collect reads root/<kernel>/<run-id>/result.json. A run directory without
// result.json is reported, not an error: Write writes it last, so
// such a directory is a boot that was killed or is still running.
func Collect(root string) ([]Run, []Skipped, error) {
	kernels, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read results root: %w", err)
	}
	var runs []Run
	var skipped []Skipped
	for _, k := range kernels {
		if !k.IsDir() || k.Name() == ChartsDir {
			continue
		}
		r, s, err := collectKernel(filepath.Join(root, k.Name()))
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, r...)
		// Relative names: the report must not depend on where root is.
		for _, x := range s {
			if rel, err := filepath.Rel(root, x.Dir); err == nil {
				x.Dir = rel
			}
			skipped = append(skipped, x)
		}
	}
	return runs, skipped, nil
}

// collectKernel reads dir/<run-id>/result.json.
func collectKernel(dir string) ([]Run, []Skipped, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("read kernel results: %w", err)
	}
	var runs []Run
	var skipped []Skipped
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		rd := filepath.Join(dir, e.Name())
		f, err := Read(filepath.Join(rd, "result.json"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			skipped = append(skipped, Skipped{Dir: rd, Reason: "no result.json (killed or still running)"})
		case err != nil:
			skipped = append(skipped, Skipped{Dir: rd, Reason: err.Error()})
		default:
			Reanalyze(rd, f)
			runs = append(runs, Run{Dir: rd, ID: e.Name(), File: f})
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Dir < runs[j].Dir })
	return runs, skipped, nil
}

// LoadPath reads what a user names on the command line: a result.json, a
// result directory, or a directory of result directories (one kernel's).
func LoadPath(p string) ([]Run, []Skipped, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if !st.IsDir() {
		f, err := Read(p)
		if err != nil {
			return nil, nil, err
		}
		dir := filepath.Dir(p)
		Reanalyze(dir, f)
		return []Run{{Dir: dir, ID: filepath.Base(dir), File: f}}, nil, nil
	}
	if _, err := os.Stat(filepath.Join(p, "result.json")); err == nil {
		return LoadPath(filepath.Join(p, "result.json"))
	}
	return collectKernel(p)
}
