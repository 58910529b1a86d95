package main

import "github.com/spf13/cobra"

func newScenarioCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{Use: "scenario", Short: "Run the rollout scenario cells (see `rolloutlab scenario --help`)", Hidden: true}
}
