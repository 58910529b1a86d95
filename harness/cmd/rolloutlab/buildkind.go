package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/k8s"
)

// newBuildKindCommand builds (or finds cached) the kind tier's binaries and
// prints each with its build time and size; a warm run builds nothing.
func newBuildKindCommand() *cobra.Command {
	var o k8s.KindOptions
	cmd := &cobra.Command{
		Use:   "build-kind-binaries",
		Short: "Build the kind tier's binaries from the Go module proxy (pinned, cached)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := cache.Dir()
			if err != nil {
				return err
			}
			start := time.Now()
			p, err := k8s.PrepareKind(cmd.Context(), dir, o, os.Stderr)
			if err != nil {
				return err
			}
			fmt.Printf("%-34s %-50s %-7s %9s %9s  %s\n", "NAME", "MODULE@VERSION", "STATIC", "TIME", "MIB", "PATH")
			for _, b := range p.Built {
				t := b.BuildTime.Round(time.Second).String()
				if b.Cached {
					t = "cached"
				}
				fmt.Printf("%-34s %-50s %-7t %9s %9.1f  %s\n", b.Name, b.Module+"@"+b.Version, b.Static, t, float64(b.Size)/(1<<20), b.Path)
			}
			fmt.Printf("%d binaries with %s in %s\n", len(p.Built), p.GoVersion, time.Since(start).Round(time.Second))
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.PatchedKind, "patched-kind", false, "also build kind "+k8s.KindVersion+"-"+k8s.KindPatchRevision+" (KIND_SYSTEMD_WAIT patch)")
	cmd.Flags().BoolVar(&o.Containerd, "containerd", false, "also build containerd "+k8s.ContainerdVersion+" (containerd, containerd-shim-runc-v2, ctr)")
	return cmd
}
