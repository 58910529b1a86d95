package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/kernel"
	"github.com/rolloutlab/rolloutlab/harness/run"
)

// newBenchBuildCommand times a source-built kernel cold (an empty kernel
// cache; the source package comes from the download cache, so the figure
// is the build, not the network) and then cached (the same prepare again).
func newBenchBuildCommand(g *globalFlags) *cobra.Command {
	var noCCache bool
	cmd := &cobra.Command{
		Use:   "bench-build",
		Short: "Cold and cached build times of a source-built (control) kernel",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := run.ResolveKernel(g.kernel, g.patches)
			if err != nil {
				return err
			}
			if e.Source != kernel.SourceBuild && e.Source != kernel.SourceKernelOrg {
				return fmt.Errorf("kernel %s has source %q: bench-build needs a source-built kernel (build or kernel.org), e.g. 5.10-revert-ABC", e.Name, e.Source)
			}
			shared, err := cache.Dir()
			if err != nil {
				return err
			}
			tmp, err := os.MkdirTemp("", "rolloutlab-bench-build-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			// Reuse the verified downloads; build everything else anew.
			if err := os.Symlink(filepath.Join(shared, "downloads"), filepath.Join(tmp, "downloads")); err != nil {
				return err
			}
			if noCCache {
				os.Setenv("CCACHE_DISABLE", "1")
			}
			start := time.Now()
			if _, err := kernel.Prepare(cmd.Context(), e, tmp, os.Stderr); err != nil {
				return fmt.Errorf("cold build: %w", err)
			}
			cold := time.Since(start)
			start = time.Now()
			p, err := kernel.Prepare(cmd.Context(), e, tmp, nil)
			if err != nil {
				return fmt.Errorf("cached prepare: %w", err)
			}
			cached := time.Since(start)
			ccache := "ccache as installed (warm or cold)"
			if noCCache {
				ccache = "ccache disabled"
			}
			fmt.Printf("kernel=%s release=%s host cpus=%d (%s)\n", e.Name, p.UnameR, runtime.NumCPU(), ccache)
			fmt.Printf("  cold prepare (unpack, patch, config, compile, pack): %s\n", cold.Round(100*time.Millisecond))
			fmt.Printf("  cached prepare:                                      %s\n", cached.Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().BoolVar(&noCCache, "no-ccache", false, "disable ccache for the cold build (a truly cold compile)")
	return cmd
}
