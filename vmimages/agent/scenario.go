package main

import (
	"context"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/cmds"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/runner"
)

// runScenario hands the cells to the in-guest runner; the control channel
// is its Emitter, so results stream to the host as each cell finishes.
func runScenario(ctx context.Context, cells []scenario.Cell, ctl *control) error {
	return runner.RunCells(ctx, cells, ctl)
}

// subcommands run inside pod namespaces: the per-pod server and the client.
func subcommands() map[string]func([]string) int { return cmds.Subcommands() }
