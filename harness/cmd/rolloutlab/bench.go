package main

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/wire"
)

func newBenchCommand(g *globalFlags) *cobra.Command {
	var boots int
	cmd := &cobra.Command{
		Use:   "bench-boot",
		Short: "Print boot-to-agent time (median of N boots) for a kernel and accelerator, and the cost of a cached prepare",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if _, err := run.Prepare(ctx, g.options()); err != nil { // warm the cache
				return err
			}
			start := time.Now()
			o := g.options()
			o.Progress = nil
			env, err := run.Prepare(ctx, o)
			if err != nil {
				return err
			}
			cached := time.Since(start)
			var guest, host []time.Duration
			for i := 0; i < boots; i++ {
				dir, cleanup, err := outDir("")
				if err != nil {
					return err
				}
				res, err := env.Boot(ctx, wire.Request{Mode: wire.ModeProbe}, run.BootOptions{OutDir: dir})
				cleanup()
				if err != nil {
					return fmt.Errorf("boot %d: %w", i+1, err)
				}
				guest = append(guest, time.Duration(res.Facts.BootToAgent))
				host = append(host, res.Outcome.BootToHello)
				fmt.Fprintf(os.Stderr, "  boot %d/%d: kernel-to-agent %s, QEMU-start-to-hello %s\n", i+1, boots, guest[i].Round(time.Millisecond), host[i].Round(time.Millisecond))
			}
			fmt.Printf("kernel=%s release=%s accel=%s boots=%d\n", env.Kernel.Entry.Name, env.Kernel.UnameR, env.Accel, boots)
			fmt.Printf("  kernel start -> agent (guest clock):  median %s  min %s  max %s\n", median(guest), slices.Min(guest).Round(time.Millisecond), slices.Max(guest).Round(time.Millisecond))
			fmt.Printf("  QEMU start -> agent hello (host):     median %s  min %s  max %s\n", median(host), slices.Min(host).Round(time.Millisecond), slices.Max(host).Round(time.Millisecond))
			fmt.Printf("  cached prepare (no download, no image rebuild): %s\n", cached.Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVarP(&boots, "boots", "n", 5, "number of boots")
	return cmd
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}
