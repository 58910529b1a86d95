package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// kindBenchSteps are the kind tier's timed steps in the order a cell runs
// them (the guest records each as kind:<name>_s).
var kindBenchSteps = []struct{ key, what string }{
	{"image_load", "docker load of the node + app images (once per boot)"},
	{"create", "kind create cluster --wait (node Ready)"},
	{"app_image_load", "kind load docker-image of the app image"},
	{"kube_proxy_ready", "kube-proxy Running and its /proxyMode answering"},
	{"workload_ready", "Service + Deployment applied, rollout status ok"},
	{"dataplane_programmed", "the node's dataplane takes every initial pod"},
	{"client_running", "client Pod Running (load starts)"},
	{"rollout", "kubectl rollout restart + rollout status"},
	{"old_pods_gone", "every old pod deleted"},
	{"client_stopped", "client Pod deleted (load flushed)"},
	{"delete", "kind delete cluster"},
	{"cell", "the whole cell, creation to deletion"},
}

// newBenchKindCommand times the kind tier: one boot with one kind cell,
// each step of the cell as the guest measured it.
func newBenchKindCommand(g *globalFlags) *cobra.Command {
	var cellSpec string
	cmd := &cobra.Command{
		Use:   "bench-kind",
		Short: "Time to a Ready kind cluster and per rollout cell in the guest (one boot, each step as the guest timed it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cells, err := scenario.ParseSpecs(cellSpec)
			if err != nil {
				return err
			}
			for _, c := range cells {
				if c.Tier != scenario.TierKind {
					return fmt.Errorf("bench-kind: cell %s is of tier %s; want tier=kind cells", c.Name, c.Tier)
				}
			}
			ctx := cmd.Context()
			env, err := run.Prepare(ctx, g.options())
			if err != nil {
				return err
			}
			if env, _, err = env.ForCells(ctx, cells); err != nil {
				return err
			}
			out := filepath.Join("out", "bench-kind", env.Kernel.Entry.Name+"-"+time.Now().UTC().Format("20060102T150405Z"))
			began := time.Now()
			f, path, err := env.Scenario(ctx, cells, out)
			if path != "" {
				fmt.Fprintf(os.Stderr, "result: %s\n", path)
			}
			if err != nil {
				return err
			}
			fmt.Printf("kernel=%s accel=%s memory=%d MiB, boot with %d kind cell(s): %s\n", env.Kernel.Entry.Name, env.Accel, env.MemoryMiB, len(cells), time.Since(began).Round(time.Second))
			for _, c := range f.Cells {
				if c.Result == nil {
					return fmt.Errorf("cell %s: %s", c.Name, c.Error)
				}
				s := c.Result.Effective.Sysctls
				fmt.Printf("cell %s (%s, %s): %d requests, verdict %s\n", c.Name, s["kind:binary"], s["kube-proxy:proxyMode"], c.Result.Counts.Requests, c.Verdict.Status)
				var ready float64
				for _, st := range kindBenchSteps {
					v, ok := s["kind:"+st.key+"_s"]
					if !ok {
						continue
					}
					fmt.Printf("  %-22s %8ss  %s\n", st.key, v, st.what)
					if st.key == "create" || st.key == "kube_proxy_ready" {
						n, _ := strconv.ParseFloat(v, 64)
						ready += n
					}
				}
				fmt.Printf("  %-22s %8.1fs  time to a Ready cluster with kube-proxy programming\n", "ready (sum)", ready)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cellSpec, "cells", "ipvs/tier=kind/rate=30/ports=40000-40199", "kind tier cells to time")
	return cmd
}
