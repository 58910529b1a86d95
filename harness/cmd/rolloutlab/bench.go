package main

import (
	"context"
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
		Short: "Print boot-to-agent time (median of N boots) for a kernel and accelerator, as a ratio of a floor init that only reports, with its split, and the cost of a cached prepare",
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
			var guest, ready, host []time.Duration
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
				ready = append(ready, time.Duration(res.Facts.AgentReady))
				host = append(host, res.Outcome.BootToHello)
				fmt.Fprintf(os.Stderr, "  boot %d/%d: kernel-to-agent %s, QEMU-start-to-hello %s\n", i+1, boots, guest[i].Round(time.Millisecond), host[i].Round(time.Millisecond))
			}
			floor, err := floorBoots(ctx, env, boots)
			if err != nil {
				return err
			}
			fmt.Printf("kernel=%s release=%s accel=%s boots=%d\n", env.Kernel.Entry.Name, env.Kernel.UnameR, env.Accel, boots)
			fmt.Printf("  kernel start -> agent (guest clock):  median %s  min %s  max %s\n", median(guest), slices.Min(guest).Round(time.Millisecond), slices.Max(guest).Round(time.Millisecond))
			fmt.Printf("  QEMU start -> agent hello (host):     median %s  min %s  max %s\n", median(host), slices.Min(host).Round(time.Millisecond), slices.Max(host).Round(time.Millisecond))
			fmt.Printf("  floor (an init that only reports, %d boots): kernel start -> init %s, QEMU start -> hello %s\n", boots, median(floor.guest), median(floor.host))
			fmt.Printf("  ratio QEMU start -> hello, project / floor: %.2fx  (goal <= 1.15x)\n", float64(median(host))/float64(median(floor.host)))
			fmt.Printf("  split (medians): before the kernel clock (QEMU, firmware, loader) %s; kernel to PID 1 %s; initramfs unpack + agent start %s; modules + facts %s\n",
				(median(floor.host) - median(floor.ready)).Round(time.Millisecond), median(floor.guest),
				(median(guest) - median(floor.guest)).Round(time.Millisecond), (median(ready) - median(guest)).Round(time.Millisecond))
			fmt.Printf("  cached prepare (no download, no image rebuild): %s\n", cached.Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVarP(&boots, "boots", "n", 5, "number of boots")
	return cmd
}

type floorTimes struct{ guest, ready, host []time.Duration }

// floorBoots boots the same kernel and QEMU command line n times with the
// floor initramfs (run.FloorInitrd) instead of the guest image.
func floorBoots(ctx context.Context, env *run.Env, n int) (floorTimes, error) {
	var ft floorTimes
	dir, cleanup, err := outDir("")
	if err != nil {
		return ft, err
	}
	defer cleanup()
	initrd, err := run.FloorInitrd(ctx, env.CacheDir, dir)
	if err != nil {
		return ft, err
	}
	for i := 0; i < n; i++ {
		res, err := env.Boot(ctx, wire.Request{Mode: wire.ModeProbe}, run.BootOptions{OutDir: dir, Initrd: initrd})
		if err != nil {
			return ft, fmt.Errorf("floor boot %d: %w", i+1, err)
		}
		ft.guest = append(ft.guest, time.Duration(res.Facts.BootToAgent))
		ft.ready = append(ft.ready, time.Duration(res.Facts.AgentReady))
		ft.host = append(ft.host, res.Outcome.BootToHello)
		fmt.Fprintf(os.Stderr, "  floor boot %d/%d: kernel-to-init %s, QEMU-start-to-hello %s\n", i+1, n, ft.guest[i].Round(time.Millisecond), ft.host[i].Round(time.Millisecond))
	}
	return ft, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}
