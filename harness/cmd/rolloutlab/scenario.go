package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/enum"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

func newScenarioCommand(g *globalFlags) *cobra.Command {
	var cellSpec, out, parallelSpec string
	var keepCluster bool
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "Run rollout cells in one guest and write result.json plus raw per-request records",
		Example: `  rolloutlab scenario -k 6.1 --cells default
  rolloutlab scenario -k 5.10 --cells 'ipvs:0/nodest=0,ipvs:1,iptables'
  rolloutlab scenario -k 5.10-revert-C --cells 'ipvs:0/tier=kind,iptables/tier=kind'`,
		Long: `Run rollout cells in one guest and write result.json plus raw per-request records.

Exit codes (made for git bisect run): 0 every cell measured and clean; 1 at
least one cell affected; 125 no verdict (build, boot or a cell failed: skip);
128 bad input (unknown kernel, bad --patches or --cells: stop).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cells, err := scenario.ParseSpecs(cellSpec)
			if err != nil {
				return usageError(err)
			}
			parallelCells, err := strconv.Atoi(parallelSpec)
			if err != nil || parallelCells < 1 || parallelCells > wire.MaxParallelCells {
				return usageError(fmt.Errorf("--parallel-cells (or PARALLEL_CELLS) %q: want a number from 1 (one after another) to %d", parallelSpec, wire.MaxParallelCells))
			}
			env, err := run.Prepare(cmd.Context(), g.options())
			if err != nil {
				return withExit(err, scenarioExit(nil, err))
			}
			// kube-proxy and kind tier cells need Kubernetes binaries (and
			// kind's images) in the guest
			if env, _, err = env.ForCells(cmd.Context(), cells); err != nil {
				return withExit(err, ExitUnmeasured)
			}
			env.KindKeep = keepCluster
			env.ParallelCells = parallelCells
			if out == "" {
				out = filepath.Join("out", "results", env.Kernel.Entry.Name, time.Now().UTC().Format("20060102T150405Z"))
			}
			f, path, err := env.Scenario(cmd.Context(), cells, out)
			if f != nil {
				printCells(f)
			}
			if path != "" {
				fmt.Fprintf(os.Stderr, "result: %s\n", path)
			}
			if code := scenarioExit(f, err); code != ExitClean {
				return withExit(err, code)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&cellSpec, "cells", envOr("CELLS", "default"), "cells: MODE[:REUSE][/KEY=VALUE...] items or presets (default, controls, kube-proxy), comma-separated (env CELLS)")
	cmd.Flags().StringVar(&parallelSpec, "parallel-cells", envOr("PARALLEL_CELLS", "1"), "dataplane cells side by side in the guest, each on a node network namespace of its own (1: one after another in the root namespace; the result records it) (env PARALLEL_CELLS)")
	cmd.Flags().BoolVar(&keepCluster, "keep-cluster", false, "kind tier: skip kind delete cluster after each cell (the guest still powers off)")
	cmd.Flags().StringVar(&out, "out", os.Getenv("OUT"), "result directory (default out/results/<kernel>/<time>) (env OUT)")
	return cmd
}

// printCells is the human summary; the numbers are the result file's.
func printCells(f *resultfile.File) {
	fmt.Printf("kernel %s (%s) accel %s status %s\n", f.Kernel.Name, f.Facts.KernelRelease, f.QEMU.Accel, f.Status)
	fmt.Printf("%-34s %-9s %6s %5s %6s %6s %6s %8s %8s  %s\n", "CELL", "VERDICT", "REQS", "ERRS", "TO-OLD", ">=1s", "TMOUT", "p99ms", "conn99", "SYMPTOMS")
	for _, c := range f.Cells {
		if c.Result == nil {
			fmt.Printf("%-34s %-9s %s\n", c.Name, c.Verdict.Status, c.Error)
			continue
		}
		n := c.Result.Counts
		errs := n.Requests - n.Successes
		fmt.Printf("%-34s %-9s %6d %5d %6d %6d %6d %8.1f %8.1f  %s\n", c.Name, c.Verdict.Status, n.Requests, errs,
			n.ToTerminating, n.SlowConnects, n.Errors[scenario.ErrTimeout], c.Result.Total.P99, c.Result.Connect.P99, enum.Join(c.Verdict.Symptoms, " "))
	}
}
