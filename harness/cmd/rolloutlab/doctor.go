package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/doctor"
	"github.com/rolloutlab/rolloutlab/harness/doctor/probe"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/cmds"
)

type doctorFlags struct {
	json, probe        bool
	proxyMode, kpVer   string
	metricsURL, report string
	cells              string
}

// newDoctorCommands is `rolloutlab doctor` plus the hidden helpers its
// probe re-executes this binary as (pod servers, the load generator).
func newDoctorCommands() []*cobra.Command {
	f := &doctorFlags{}
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Is THIS node affected by kubernetes#81775 or the 1 s SYN drop during rollouts? (read-only; --probe measures, as root)",
		Long: "Reads the kernel, the IPVS and conntrack sysctls and kube-proxy's mode and version on this node and answers per symptom.\n" +
			"Exit codes: 0 not affected, 1 affected, 2 unknown, 3 usage or internal error, 4 --probe changed the host's network namespace.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return usageErr(runDoctor(cmd, f)) },
	}
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	fl := c.Flags()
	fl.BoolVar(&f.json, "json", false, "print the report as JSON (schema "+doctor.Schema+")")
	fl.BoolVar(&f.probe, "probe", false, "as root: measure the cells on the running kernel in throwaway network namespaces (no VM)")
	fl.StringVar(&f.proxyMode, "proxy-mode", "", "kube-proxy's mode (ipvs, iptables, nftables) when its metrics endpoint is not reachable")
	fl.StringVar(&f.kpVer, "kube-proxy-version", "", "kube-proxy's version (v1.21.8) when neither its metrics nor `kube-proxy --version` tell")
	fl.StringVar(&f.metricsURL, "metrics-url", doctor.DefaultMetricsURL, "kube-proxy's metrics endpoint (loopback)")
	fl.StringVar(&f.report, "report", "", "also write the JSON report to this file")
	fl.StringVar(&f.cells, "cells", doctor.ProbeCells, "cells --probe runs (must include the control ipvs:0/nodest=0)")
	child := &cobra.Command{Use: "probe-child", Hidden: true, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return probe.Child(cmd.Context(), f.cells, os.Stdout, os.Stderr)
		}}
	child.Flags().StringVar(&f.cells, "cells", doctor.ProbeCells, "")
	c.AddCommand(child)
	out := []*cobra.Command{c}
	for name, fn := range cmds.Subcommands() {
		out = append(out, &cobra.Command{Use: name, Hidden: true, DisableFlagParsing: true,
			RunE: func(_ *cobra.Command, args []string) error {
				if code := fn(args); code != 0 {
					return &exitCode{code: code}
				}
				return nil
			}})
	}
	return out
}

// usageErr prints err and exits 3, the doctor's code for usage and
// internal errors (a bare error would exit 1, which means "affected").
func usageErr(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*exitCode); ok {
		return err
	}
	fmt.Fprintln(os.Stderr, "rolloutlab doctor:", err)
	return &exitCode{code: doctor.ExitError}
}

func runDoctor(cmd *cobra.Command, f *doctorFlags) error {
	opts := doctor.CollectOptions{KubeProxyVersion: f.kpVer, MetricsURL: f.metricsURL}
	if f.proxyMode != "" {
		m, err := scenario.ParseProxyMode(f.proxyMode)
		if err != nil {
			return err
		}
		opts.ProxyMode = m
	}
	facts, err := doctor.Collect(cmd.Context(), opts)
	if err != nil {
		return err
	}
	var m *doctor.Measurement
	var pr *probe.Result
	if f.probe {
		if pr, err = probe.Run(cmd.Context(), f.cells, os.Stderr); err != nil {
			return err
		}
		m = &pr.Measurement
	}
	rep, err := doctor.Diagnose(facts, m)
	if err != nil {
		return err
	}
	code := rep.Answer.ExitCode()
	if pr != nil {
		c := pr.Comparison
		rep.Probe.HostUnchanged, rep.Probe.HostDiff = len(c.Diff) == 0, c.Diff
		rep.Probe.ModulesLoaded, rep.Probe.Appeared, rep.Probe.Snapshot = orEmpty(c.Loaded), c.Appeared, c.Compared
		switch {
		case len(c.Diff) > 0:
			code = doctor.ExitHostChanged
		case pr.ChildErr != nil:
			fmt.Fprintln(os.Stderr, "rolloutlab doctor:", pr.ChildErr)
			code = doctor.ExitError
		}
	}
	rep.ExitCode = code
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if f.report != "" {
		if err := os.WriteFile(f.report, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	if f.json {
		fmt.Println(string(b))
	} else {
		doctor.Render(os.Stdout, rep)
	}
	if code != 0 {
		return &exitCode{code: code}
	}
	return nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
