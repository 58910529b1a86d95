package main

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// newBenchStepCommand measures what a bisection step pays on top of its
// cell: a whole scenario run on a prepared kernel (boot, node set-up, the
// cell, power-off) minus the cell's own load span.
func newBenchStepCommand(g *globalFlags) *cobra.Command {
	var runs int
	var cellSpec string
	cmd := &cobra.Command{
		Use:   "bench-step",
		Short: "Print a bisection step's overhead: scenario wall time on a prepared kernel minus the cells' load span (median of N runs)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cells, err := scenario.ParseSpecs(cellSpec)
			if err != nil {
				return usageError(err)
			}
			if runs < 1 {
				return usageError(fmt.Errorf("--runs %d: want at least 1", runs))
			}
			env, err := run.Prepare(ctx, g.options()) // warms the cache: not timed
			if err != nil {
				return err
			}
			var walls, loads, overheads, boots, toLoads []time.Duration
			for i := 0; i < runs; i++ {
				dir, cleanup, err := outDir("")
				if err != nil {
					return err
				}
				start := time.Now()
				f, _, err := env.Scenario(ctx, cells, dir)
				wall := time.Since(start)
				if err != nil {
					// keep what the guest said (console, control log, result)
					return fmt.Errorf("run %d (its console and result kept in %s): %w", i+1, dir, err)
				}
				cleanup()
				var load time.Duration
				firstLoad := int64(-1) // the first load-start, on the guest's clock
				for _, c := range f.Cells {
					if c.Result == nil {
						return fmt.Errorf("run %d: cell %s has no result: %s", i+1, c.Name, c.Error)
					}
					load += time.Duration(c.Result.LoadSeconds * float64(time.Second))
					for _, e := range c.Result.Events {
						if e.Kind == scenario.EvLoadStart && (firstLoad < 0 || e.T < firstLoad) {
							firstLoad = e.T
						}
					}
				}
				toLoads = append(toLoads, time.Duration(firstLoad)-time.Duration(f.Facts.AgentReady))
				walls, loads = append(walls, wall), append(loads, load)
				overheads = append(overheads, wall-load)
				boots = append(boots, time.Duration(f.Facts.AgentReady))
				fmt.Fprintf(os.Stderr, "  run %d/%d: wall %s, load span %s, overhead %s (kernel start -> agent ready %s)\n", i+1, runs,
					wall.Round(10*time.Millisecond), load.Round(10*time.Millisecond), (wall - load).Round(10*time.Millisecond), boots[i].Round(10*time.Millisecond))
			}
			fmt.Printf("kernel=%s release=%s accel=%s cells=%s runs=%d\n", env.Kernel.Entry.Name, env.Kernel.UnameR, env.Accel, cellSpec, runs)
			fmt.Printf("  scenario wall:          median %s  min %s  max %s\n", median(walls), slices.Min(walls).Round(time.Millisecond), slices.Max(walls).Round(time.Millisecond))
			fmt.Printf("  cells' load span:       median %s\n", median(loads))
			fmt.Printf("  overhead (wall - load): median %s  min %s  max %s  (goal <= 4s)\n", median(overheads), slices.Min(overheads).Round(time.Millisecond), slices.Max(overheads).Round(time.Millisecond))
			rest := make([]time.Duration, len(overheads))
			for i := range overheads {
				rest[i] = overheads[i] - boots[i] - toLoads[i]
			}
			fmt.Printf("  of which kernel start -> agent ready: median %s; agent ready -> the first load starts (node, proxy, pods): %s;\n", median(boots), median(toLoads))
			fmt.Printf("    the rest (QEMU start -> kernel, each cell's analysis and upload, other cells' set-up, power-off, the result file): %s\n", median(rest))
			return nil
		},
	}
	cmd.Flags().IntVarP(&runs, "runs", "n", 3, "number of scenario runs")
	cmd.Flags().StringVar(&cellSpec, "cells", "ipvs:1", "cells of one step, as for scenario")
	return cmd
}
