package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/run"
)

func newCheckKernelCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "check-kernel",
		Short: "Check that --kernel (or $KERNEL) names a catalog kernel; no download",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := run.ResolveKernel(g.kernel)
			if err != nil {
				return err
			}
			fmt.Printf("kernel %s: %s %s (%s)\n", e.Name, e.Source, e.Release, e.Description)
			return nil
		},
	}
}
