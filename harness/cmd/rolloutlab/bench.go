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
			floorDir, cleanupFloor, err := outDir("")
			if err != nil {
				return err
			}
			defer cleanupFloor()
			floorInitrd, err := run.FloorInitrd(ctx, env.CacheDir, floorDir)
			if err != nil {
				return err
			}
			// Project and floor boots alternate (which goes first alternates
			// too), so a host that speeds up or slows down over the run moves
			// both sides alike: these machines drift by tens of percent.
			var proj, floor bootTimes
			var pairs []float64
			for i := 0; i < boots; i++ {
				var p, f bootSample
				order := []string{"", floorInitrd} // "": the guest image
				if i%2 == 1 {
					order[0], order[1] = order[1], order[0]
				}
				for _, initrd := range order {
					s, err := benchBoot(ctx, env, initrd)
					if err != nil {
						return fmt.Errorf("pair %d: %w", i+1, err)
					}
					if initrd == "" {
						p = s
					} else {
						f = s
					}
				}
				proj.add(p)
				floor.add(f)
				pairs = append(pairs, float64(p.host)/float64(f.host))
				fmt.Fprintf(os.Stderr, "  pair %d/%d: QEMU start -> hello %s, floor %s (%.2fx); kernel start -> agent %s, -> floor init %s\n", i+1, boots,
					p.host.Round(time.Millisecond), f.host.Round(time.Millisecond), pairs[i], p.guest.Round(time.Millisecond), f.guest.Round(time.Millisecond))
			}
			guest, ready, host := proj.guest, proj.ready, proj.host
			slices.Sort(pairs)
			fmt.Printf("kernel=%s release=%s accel=%s boots=%d\n", env.Kernel.Entry.Name, env.Kernel.UnameR, env.Accel, boots)
			fmt.Printf("  kernel start -> agent (guest clock):  median %s  min %s  max %s\n", median(guest), slices.Min(guest).Round(time.Millisecond), slices.Max(guest).Round(time.Millisecond))
			fmt.Printf("  QEMU start -> agent hello (host):     median %s  min %s  max %s\n", median(host), slices.Min(host).Round(time.Millisecond), slices.Max(host).Round(time.Millisecond))
			fmt.Printf("  floor (an init that only reports, %d boots, alternating): kernel start -> init %s, QEMU start -> hello %s\n", boots, median(floor.guest), median(floor.host))
			fmt.Printf("  ratio QEMU start -> hello, project / floor: %.2fx of the medians, %.2fx median of the %d pairs  (goal <= 1.15x)\n",
				float64(median(host))/float64(median(floor.host)), pairs[len(pairs)/2], len(pairs))
			// The difference is the project's own part; the ratio also moves
			// with everything before PID 1 (firmware, the kernel's entry).
			fmt.Printf("  project - floor: %s\n", (median(host) - median(floor.host)).Round(time.Millisecond))
			fmt.Printf("  split (medians): before the kernel clock (QEMU, firmware, loader) %s; kernel to PID 1 %s; initramfs unpack + agent start %s; agent start -> ready (the rest of the module loading, begun at main, then facts) %s\n",
				(median(floor.host) - median(floor.ready)).Round(time.Millisecond), median(floor.guest),
				(median(guest) - median(floor.guest)).Round(time.Millisecond), (median(ready) - median(guest)).Round(time.Millisecond))
			fmt.Printf("  cached prepare (no download, no image rebuild): %s\n", cached.Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVarP(&boots, "boots", "n", 5, "number of boots")
	return cmd
}

// bootTimes are one side's boots: the agent's (or floor init's) start and
// readiness on the guest clock, and QEMU start to hello on the host's.
type bootTimes struct{ guest, ready, host []time.Duration }

type bootSample struct{ guest, ready, host time.Duration }

func (b *bootTimes) add(s bootSample) {
	b.guest, b.ready, b.host = append(b.guest, s.guest), append(b.ready, s.ready), append(b.host, s.host)
}

// benchBoot boots a probe request: the guest image, or with initrd the
// floor initramfs (run.FloorInitrd) on the same kernel and QEMU line.
func benchBoot(ctx context.Context, env *run.Env, initrd string) (bootSample, error) {
	dir, cleanup, err := outDir("")
	if err != nil {
		return bootSample{}, err
	}
	res, err := env.Boot(ctx, wire.Request{Mode: wire.ModeProbe}, run.BootOptions{OutDir: dir, Initrd: initrd})
	if err != nil {
		what := "boot"
		if initrd != "" {
			what = "floor boot"
		}
		return bootSample{}, fmt.Errorf("%s (its console kept in %s): %w", what, dir, err)
	}
	cleanup()
	return bootSample{time.Duration(res.Facts.BootToAgent), time.Duration(res.Facts.AgentReady), res.Outcome.BootToHello}, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}
