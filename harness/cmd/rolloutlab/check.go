package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/kbuild"
	"github.com/rolloutlab/rolloutlab/harness/kernel"
	"github.com/rolloutlab/rolloutlab/harness/run"
)

func newCheckKernelCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "check-kernel",
		Short: "Check that --kernel (or $KERNEL) names a catalog kernel or a usable kernel you built, and that --patches load; no download",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := run.ResolveKernel(g.kernel, g.patches)
			if err != nil {
				return err
			}
			fmt.Printf("kernel %s: %s %s (%s)\n", e.Name, e.Source, e.Release, e.Description)
			for _, p := range e.UserPatches {
				fmt.Printf("  patch %s sha256 %s\n", p.Name, p.SHA256)
			}
			if e.Local != nil {
				fmt.Printf("  bzImage %s (uname -r %s), fixes %s (%s)\n", e.Local.BzImage, e.UnameR, e.Fixes, e.FixesSource)
			}
			return nil
		},
	}
}

func newKconfigFragmentCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "kconfig-fragment",
		Short: "Print the config fragment a kernel you build needs for the scenarios (for scripts/kconfig/merge_config.sh)",
		Example: `  rolloutlab kconfig-fragment > rolloutlab.config
  scripts/kconfig/merge_config.sh -m .config rolloutlab.config && make olddefconfig && make -j$(nproc) bzImage modules`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := kernel.Load()
			if err != nil {
				return err
			}
			frag, err := cat.LocalFragment()
			if err != nil {
				return err
			}
			fmt.Print(frag)
			return nil
		},
	}
}

func newReversePatchCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "reverse-patch FILE",
		Short: "Print the unified diff that undoes FILE (e.g. a catalog revert, to hand back as PATCHES=)",
		Example: `  rolloutlab reverse-patch kernels/patches/linux-5.10/revert-C-ipvs-reuse-weight-zero.patch > fix-C.patch
  rolloutlab scenario -k 5.10-revert-C --patches fix-C.patch --cells ipvs:0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := os.ReadFile(args[0])
			if err != nil {
				return usageError(err)
			}
			rev, err := kbuild.ReversePatch(text)
			if err != nil {
				return usageError(fmt.Errorf("%s: %w", args[0], err))
			}
			_, err = os.Stdout.Write(rev)
			return err
		},
	}
}
