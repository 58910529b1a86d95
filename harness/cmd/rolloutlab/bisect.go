package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/bisect"
	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/kernel"
	"github.com/rolloutlab/rolloutlab/kernels"
)

func newBisectCommand(g *globalFlags) *cobra.Command {
	o := bisect.Options{}
	cmd := &cobra.Command{
		Use:   "bisect",
		Short: "Find the kernel commit that changed a cell: measure both ends, then git bisect run with one build + boot + cell per step",
		Long: `Find the kernel commit that changed a cell's behaviour.

The good and the bad end are built and measured first; they must differ
(one clean, one affected). Then git bisect run builds each step into one
shared build directory (make O=, ccache), boots it and runs the cells: exit
0 when they behave like the good end, 1 like the bad end, 125 when the build
or boot failed (skipped). The tree is back on its branch afterwards, also on
Ctrl-C. report.md and report.json name the first bad commit and every
step's numbers.`,
		Example: `  rolloutlab bisect --tree ~/linux --good v5.10 --bad HEAD --cells ipvs:1`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			self, err := os.Executable()
			if err != nil {
				return err
			}
			cacheDir, err := cache.Dir()
			if err != nil {
				return err
			}
			abs, err := filepath.Abs(o.Tree)
			if err != nil {
				return err
			}
			if o.Obj == "" {
				sum := sha256.Sum256([]byte(abs))
				o.Obj = filepath.Join(cacheDir, "bisect", hex.EncodeToString(sum[:6]), "build")
			}
			if o.Dir == "" {
				o.Dir = filepath.Join("out", "bisect", time.Now().UTC().Format("20060102T150405Z"))
			}
			if o.Dir, err = filepath.Abs(o.Dir); err != nil {
				return err
			}
			o.Tree, o.Accel, o.Progress = abs, g.accel, os.Stderr
			o.StepCommand = []string{self, "bisect-step"}
			o.Stepper = bisect.Real{CacheDir: cacheDir, Progress: os.Stderr}
			rep, err := bisect.Run(cmd.Context(), o)
			if rep != nil {
				fmt.Printf("report: %s\n", filepath.Join(o.Dir, "report.md"))
				if rep.Commit != "" {
					fmt.Printf("first bad commit: %s %s\n", rep.Commit, rep.Subject)
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Tree, "tree", "", "kernel git tree (clean; its branch is restored afterwards)")
	f.StringVar(&o.Good, "good", "", "revision where the cells behave as wanted")
	f.StringVar(&o.Bad, "bad", "HEAD", "revision where they do not")
	f.StringVar(&o.Cells, "cells", "ipvs:1", "cells to run per step (rolloutlab scenario --cells syntax); one cell keeps steps short")
	f.StringVar(&o.Dir, "out", "", "report directory (default out/bisect/<time>)")
	f.StringVar(&o.Obj, "build-dir", "", "shared build directory, make O= (default in the cache, one per tree)")
	_ = cmd.MarkFlagRequired("tree")
	_ = cmd.MarkFlagRequired("good")
	return cmd
}

// newBisectStepCommand is what git bisect run calls for each step.
func newBisectStepCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "bisect-step STATE",
		Short:  "One bisection step on the checked-out commit (called by git bisect run)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := bisect.LoadState(args[0])
			if err != nil {
				return withExit(err, ExitUsage) // stops git bisect run
			}
			cacheDir, err := cache.Dir()
			if err != nil {
				return withExit(err, ExitUsage)
			}
			rec, err := bisect.RunStep(cmd.Context(), s, bisect.RoleStep, bisect.Real{CacheDir: cacheDir, Progress: os.Stderr}, os.Stderr)
			if err != nil {
				return withExit(err, ExitUsage)
			}
			return withExit(nil, rec.Exit)
		},
	}
}

// newBisectFixtureCommand makes the history make bisect-check bisects: a
// catalog kernel's Debian source with its revert committed between two
// unrelated commits, so the culprit is known.
func newBisectFixtureCommand() *cobra.Command {
	var dir, name string
	cmd := &cobra.Command{
		Use:   "bisect-fixture",
		Short: "Make a 4-commit kernel git history whose third commit applies a catalog revert (for make bisect-check); prints it as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := kernel.Load()
			if err != nil {
				return err
			}
			e, err := cat.Resolve(name)
			if err != nil {
				return usageError(err)
			}
			if e.Build == nil || len(e.Build.Patches) != 1 {
				return usageError(fmt.Errorf("kernel %q: want a catalog control kernel with exactly one revert (e.g. 5.10-revert-A)", name))
			}
			patchPath := e.Build.Patches[0]
			patch, err := fs.ReadFile(kernels.FS, path.Join("patches", patchPath))
			if err != nil {
				return err
			}
			cacheDir, err := cache.Dir()
			if err != nil {
				return err
			}
			if dir, err = filepath.Abs(dir); err != nil {
				return err
			}
			work := filepath.Join(dir, "source")
			tarball, err := kernel.SourceTarball(cmd.Context(), e, cacheDir, work, os.Stderr)
			if err != nil {
				return err
			}
			f, err := bisect.MakeFixture(cmd.Context(), tarball, dir, path.Base(patchPath), patch, os.Stderr)
			if err != nil {
				return err
			}
			_ = os.RemoveAll(work) // the tree holds the source now
			b, err := json.MarshalIndent(f, "", "  ")
			if err != nil {
				return err
			}
			fmt.Println(string(b))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "out", "out/bisect-check", "fixture directory")
	cmd.Flags().StringVar(&name, "revert", "5.10-revert-A", "catalog control kernel whose source and revert make the history")
	return cmd
}
