// Package cmds lists the agent's in-guest subcommands (os.Args[1]).
package cmds

import (
	"github.com/rolloutlab/rolloutlab/vmimages/guest/kindtier"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/kubeproxy"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/load"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/server"
)

// Subcommands maps os.Args[1] to its entry point, which gets os.Args[2:]
// and returns the exit code.
func Subcommands() map[string]func(args []string) int {
	return map[string]func(args []string) int{
		"serve": server.Main,
		"load":  load.Main,
		// the kind tier's fidelity check: the dataplane tier in a network namespace of its own
		kindtier.ModelCommand: kindtier.ModelMain,
		// `make kind-check`: one cluster by the kind tier's own Create, checked
		kindtier.CheckCommand: kindtier.CheckMain,
		// the kube-proxy tier's control plane, started and stopped: `make bench-controlplane`
		"controlplane-bench": kubeproxy.BenchMain,
	}
}
