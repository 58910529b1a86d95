package main

import (
	"context"

	"github.com/rolloutlab/rolloutlab/vmimages/guest/cmds"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/runner"
	"github.com/rolloutlab/rolloutlab/wire"
)

// runScenario hands the cells to the in-guest runner; the control channel
// is its Emitter, so results stream to the host as each cell finishes.
func runScenario(ctx context.Context, req wire.Request, ctl *control) error {
	// The guest powers off after the last cell: its namespace is fresh and
	// needs no tidying after.
	return runner.RunCells(ctx, req.Cells, runner.Options{Kind: req.Kind, Parallel: req.ParallelCells, FreshNode: true}, ctl)
}

// subcommands run inside pod namespaces (the per-pod server, the client)
// and, for cells side by side, a whole cell on a node namespace of its own.
func subcommands() map[string]func([]string) int {
	m := cmds.Subcommands()
	m[runner.CellCommand] = runner.CellMain
	return m
}
