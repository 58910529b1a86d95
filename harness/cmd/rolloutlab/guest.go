package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/wire"
)

func newExecCommand(g *globalFlags) *cobra.Command {
	var dryRun bool
	var keep, appendCmdline string
	cmd := &cobra.Command{
		Use:   "exec [flags] -- COMMAND [ARG...]",
		Short: "Boot the kernel, run one command in the guest, print its output, exit with its exit code",
		Example: `  rolloutlab exec -k 6.1 -- 'ipvsadm -Ln; conntrack -L; nft list ruleset'
  make exec KERNEL=5.10 CMD='ipvsadm -Ln'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := run.Prepare(cmd.Context(), g.options())
			if err != nil {
				return err
			}
			var printTo io.Writer
			if dryRun {
				printTo = os.Stderr
			}
			if len(args) > 1 {
				args = []string{strings.Join(args, " ")}
			}
			res, err := bootExec(cmd.Context(), env, keep, printTo, appendCmdline, args)
			if err != nil {
				return err
			}
			fmt.Fprint(os.Stdout, res.Stdout)
			fmt.Fprint(os.Stderr, res.Stderr)
			if res.ExitCode != 0 {
				return &exitCode{code: res.ExitCode}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the QEMU command line before running")
	cmd.Flags().StringVar(&keep, "out", "", "keep console/control logs in this directory (default: temporary, removed)")
	cmd.Flags().StringVar(&appendCmdline, "append", "", "kernel command line options added after the defaults (e.g. 'initcall_debug loglevel=7')")
	return cmd
}

func newShellCommand(g *globalFlags) *cobra.Command {
	var dryRun bool
	var appendCmdline string
	cmd := &cobra.Command{
		Use:   "shell",
		Short: "Interactive shell in a guest running the chosen kernel and the scenario image (Ctrl-A x quits QEMU)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := run.Prepare(cmd.Context(), g.options())
			if err != nil {
				return err
			}
			dir, cleanup, err := outDir("")
			if err != nil {
				return err
			}
			defer cleanup()
			o := run.BootOptions{OutDir: dir, Interactive: true, Cmdline: appendCmdline}
			if dryRun {
				o.DryRun = os.Stderr
			}
			_, err = env.Boot(cmd.Context(), wire.Request{Mode: wire.ModeShell}, o)
			return err
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the QEMU command line before running")
	cmd.Flags().StringVar(&appendCmdline, "append", "", "kernel command line options added after the defaults (e.g. 'initcall_debug loglevel=7')")
	return cmd
}

// bootExec runs command in a fresh guest (logs kept in keep, or in a
// temporary directory removed afterwards) and returns what it printed.
// dryRun, when set, gets the QEMU command line first; cmdline is added
// to the kernel's default command line.
func bootExec(ctx context.Context, env *run.Env, keep string, dryRun io.Writer, cmdline string, command []string) (*wire.ExecResult, error) {
	dir, cleanup, err := outDir(keep)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	res, err := env.Boot(ctx, wire.Request{Mode: wire.ModeExec, Command: command}, run.BootOptions{OutDir: dir, DryRun: dryRun, Cmdline: cmdline})
	if err != nil {
		return nil, err
	}
	if res.Exec == nil {
		return nil, fmt.Errorf("guest finished without an exec result (console: %s)", res.ConsoleLog)
	}
	return res.Exec, nil
}

// outDir returns keep (created) or a temporary directory removed by cleanup.
func outDir(keep string) (string, func(), error) {
	if keep != "" {
		return keep, func() {}, os.MkdirAll(keep, 0o755)
	}
	d, err := os.MkdirTemp("", "rolloutlab-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
}
