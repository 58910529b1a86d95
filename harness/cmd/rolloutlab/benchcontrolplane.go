package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// newBenchControlPlaneCommand times the kube-proxy tier's start: one boot,
// then etcd + kube-apiserver to /readyz and kube-proxy to /proxyMode,
// --runs times from an empty etcd, as each cell of the tier starts.
func newBenchControlPlaneCommand(g *globalFlags) *cobra.Command {
	var runs int
	var version, mode string
	cmd := &cobra.Command{
		Use:   "bench-controlplane",
		Short: "Time to a ready control plane (etcd + kube-apiserver) and kube-proxy in the guest, median of N starts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runs < 1 {
				return fmt.Errorf("--runs must be >= 1 (got %d)", runs)
			}
			cells, err := scenario.ParseSpecs(mode + "/k8s=" + version)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			env, err := run.Prepare(ctx, g.options())
			if err != nil {
				return err
			}
			kenv, _, err := env.ForCells(ctx, cells)
			if err != nil {
				return err
			}
			began := time.Now()
			res, err := bootExec(ctx, kenv, "", nil, "", []string{fmt.Sprintf("/init controlplane-bench --version %s --mode %s --runs %d", version, mode, runs)})
			if err != nil {
				return err
			}
			if res.ExitCode != 0 {
				return fmt.Errorf("controlplane-bench failed (exit %d): %s%s", res.ExitCode, res.Stdout, res.Stderr)
			}
			b, err := parseControlPlaneBench(res.Stdout)
			if err != nil {
				return fmt.Errorf("%w\n%s", err, res.Stdout)
			}
			fmt.Printf("kernel=%s accel=%s kube-proxy=%s (mode %s) kube-apiserver=%s runs=%d, boot and all runs %s\n",
				env.Kernel.Entry.Name, env.Accel, version, mode, scenario.APIServerVersion(version), len(b.ready), time.Since(began).Round(time.Second))
			fmt.Printf("  etcd + kube-apiserver start -> /readyz ok:  median %s  min %s  max %s\n", median(b.ready), slices.Min(b.ready).Round(time.Millisecond), slices.Max(b.ready).Round(time.Millisecond))
			fmt.Printf("  kube-proxy start -> /proxyMode answers:     median %s  min %s  max %s\n", median(b.kubeProxy), slices.Min(b.kubeProxy).Round(time.Millisecond), slices.Max(b.kubeProxy).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVarP(&runs, "runs", "n", 3, "control plane starts in the one guest")
	cmd.Flags().StringVar(&version, "k8s", scenario.KubeProxyCurrent, "kube-proxy release (its API server per scenario.APIServerVersion)")
	cmd.Flags().StringVar(&mode, "mode", scenario.ModeIPVS.String(), "kube-proxy --proxy-mode")
	return cmd
}

type controlPlaneBench struct {
	ready, kubeProxy []time.Duration
}

var controlPlaneLine = regexp.MustCompile(`CONTROLPLANE run=\d+ ready=([0-9.]+) kubeproxy=([0-9.]+) mode=(\S+)`)

func parseControlPlaneBench(out string) (controlPlaneBench, error) {
	var b controlPlaneBench
	for _, m := range controlPlaneLine.FindAllStringSubmatch(out, -1) {
		r, err1 := strconv.ParseFloat(m[1], 64)
		k, err2 := strconv.ParseFloat(m[2], 64)
		if err1 != nil || err2 != nil {
			return b, fmt.Errorf("bad CONTROLPLANE line %q", m[0])
		}
		b.ready = append(b.ready, time.Duration(r*float64(time.Second)))
		b.kubeProxy = append(b.kubeProxy, time.Duration(k*float64(time.Second)))
	}
	if len(b.ready) == 0 {
		return b, fmt.Errorf("no CONTROLPLANE lines in the guest's output")
	}
	return b, nil
}
