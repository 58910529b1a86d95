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
	return runner.RunCells(ctx, req.Cells, req.Kind, ctl)
}

// subcommands run inside pod namespaces: the per-pod server and the client.
func subcommands() map[string]func([]string) int { return cmds.Subcommands() }
