package bisect

import (
	"context"
	"io"

	"github.com/rolloutlab/rolloutlab/harness/kbuild"
	"github.com/rolloutlab/rolloutlab/harness/kernel"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Real compiles with kbuild.BuildTree (tinyconfig + the catalog's local
// fragments, ccache, the shared O= directory) and measures with
// harness/run, booting the build as KERNEL=<obj>.
type Real struct {
	CacheDir string // "" = the default cache
	Jobs     int
	Progress io.Writer
}

// Build compiles the checked-out commit.
func (r Real) Build(ctx context.Context, s *State, log io.Writer) error {
	cat, err := kernel.Load()
	if err != nil {
		return err
	}
	frag, err := cat.LocalFragment()
	if err != nil {
		return err
	}
	_, err = kbuild.BuildTree(ctx, kbuild.TreeSpec{Src: s.Tree, Obj: s.Obj, Fragments: []string{frag}, Jobs: r.Jobs}, log)
	return err
}

// Measure boots the build and runs the cells.
func (r Real) Measure(ctx context.Context, s *State, outDir string) (*resultfile.File, string, error) {
	cells, err := scenario.ParseSpecs(s.Cells)
	if err != nil {
		return nil, "", err
	}
	env, err := run.Prepare(ctx, run.Options{Kernel: s.Obj, Accel: s.Accel, CacheDir: r.CacheDir, Progress: r.Progress})
	if err != nil {
		return nil, "", err
	}
	if env, _, err = env.ForCells(ctx, cells); err != nil {
		return nil, "", err
	}
	return env.Scenario(ctx, cells, outDir)
}
