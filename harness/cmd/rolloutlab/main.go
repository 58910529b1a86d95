// Command rolloutlab is the host-side CLI: prepare kernels and images, open
// a shell or run one command in a guest, run the rollout scenario, benchmark
// boots. It is a thin layer over harness/run.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/kernel"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/scenario"
)

func main() {
	// Ctrl-C cancels the context: QEMU is killed and temporary files are
	// removed by the code that made them, never half-published.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCommand()
	err := root.ExecuteContext(ctx)
	var exit *exitCode
	switch {
	case errors.As(err, &exit):
		if exit.err != nil {
			fmt.Fprintln(os.Stderr, "rolloutlab:", exit.err)
		}
		os.Exit(exit.code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "rolloutlab:", err)
		os.Exit(1)
	}
}

// exitCode passes a guest command's exit status through unchanged, or
// gives a command's error (err, printed) its documented exit status.
type exitCode struct {
	code int
	err  error
}

func (e *exitCode) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func (e *exitCode) Unwrap() error { return e.err }

// withExit makes err (may be nil) end the process with code.
func withExit(err error, code int) error { return &exitCode{code: code, err: err} }

func usageError(err error) error { return withExit(err, ExitUsage) }

type globalFlags struct {
	kernel  string
	patches string
	accel   string
	cpus    int
	mem     int
}

func newRootCommand() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "rolloutlab",
		Short:         "Does a Kubernetes rollout lose or delay connections on this kernel? Boots real kernels under QEMU and measures.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&g.kernel, "kernel", "k", os.Getenv("KERNEL"), "kernel: a catalog name or version (6.1, 5.10.223), any other Linux version (Ubuntu mainline, e.g. 5.9), or a path to your own build: source tree, O= directory or bzImage; default: the catalog's default (env KERNEL)")
	pf.StringVar(&g.patches, "patches", os.Getenv("PATCHES"), "patches on top of a kernel built from source, applied after the catalog's: files or directories of *.patch, comma-separated (env PATCHES)")
	pf.StringVar(&g.accel, "accel", envOr("ACCEL", "auto"), "accelerator: auto (KVM only if a probe guest proves it), kvm, tcg (env ACCEL)")
	pf.IntVar(&g.cpus, "cpus", 2, "guest vCPUs")
	pf.IntVar(&g.mem, "memory", 1024, "guest memory in MiB")
	root.AddCommand(
		newKernelsCommand(),
		newCheckKernelCommand(g), newKconfigFragmentCommand(), newReversePatchCommand(),
		newPrepareCommand(g),
		newExecCommand(g),
		newShellCommand(g),
		newBenchCommand(g),
		newBenchStepCommand(g),
		newBenchLoadCommand(g),
		newBenchControlPlaneCommand(g),
		newBenchKindCommand(g),
		newBenchBuildCommand(g),
		newScenarioCommand(g),
		newMatrixCommand(g), newCompareCommand(g),
		newBuildNodeImageCommand(),
		newEngineCheckCommand(g),
		newKindCheckCommand(g),
		newBuildKindCommand(),
		newBisectCommand(g), newBisectStepCommand(), newBisectFixtureCommand(),
	)
	root.AddCommand(newDoctorCommands()...)
	return root
}

func (g *globalFlags) options() run.Options {
	return run.Options{Kernel: g.kernel, Patches: g.patches, Accel: g.accel, CPUs: g.cpus, MemoryMiB: g.mem, Progress: os.Stderr}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func newKernelsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "kernels",
		Short: "List the kernels in the catalog",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := kernel.Load()
			if err != nil {
				return err
			}
			fmt.Printf("%-18s %-10s %-16s %-6s %s\n", "NAME", "RELEASE", "SOURCE", "FIXES", "DESCRIPTION")
			for _, e := range cat.Kernels {
				def := ""
				if e.Name == cat.Default {
					def = " (default)"
				}
				fmt.Printf("%-18s %-10s %-16s %-6s %s%s\n", e.Name, e.Release, e.Source, fixesString(e.Fixes), e.Description, def)
			}
			return nil
		},
	}
}

func fixesString(f scenario.FixSet) string { return f.String() }

func newPrepareCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "prepare",
		Short: "Fetch and unpack the kernel, build the guest image, pick the accelerator (all cached)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := run.Prepare(cmd.Context(), g.options())
			if err != nil {
				return err
			}
			fmt.Printf("kernel   %s (%s) %s\nimage    %s (%d bytes)\naccel    %s: %s\nqemu     %s\n",
				env.Kernel.Entry.Name, env.Kernel.UnameR, env.Kernel.Vmlinuz, env.Image.Path, env.Image.Size, env.Accel, env.AccelReason, env.QEMUVersion)
			return nil
		},
	}
}
