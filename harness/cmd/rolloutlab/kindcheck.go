package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/k8s"
	"github.com/rolloutlab/rolloutlab/harness/kindcluster"
	"github.com/rolloutlab/rolloutlab/harness/nodeimage"
	"github.com/rolloutlab/rolloutlab/harness/qemu"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/wire"
)

// kindCheckMemoryMiB: dockerd + a kind node (~1.2 GB working set) + the
// page cache of a ~1 GB node image.
const kindCheckMemoryMiB = 4096

// Waits on KVM; TCG scales them (qemu.TimeoutsFor).
const (
	kindControlPlaneBase = 4 * time.Minute  // kubeadm's own default
	kindWaitBase         = 5 * time.Minute  // kind --wait, and each later wait
	kindSystemdWaitBase  = 2 * time.Minute  // the patched kind's KIND_SYSTEMD_WAIT
	kindRunBase          = 20 * time.Minute // the whole guest run
	kindLeaseBase        = 15 * time.Second // leader election lease, the default
)

func newKindCheckCommand(g *globalFlags) *cobra.Command {
	var (
		mode, out, kindPolicy string
		keep                  bool
	)
	cmd := &cobra.Command{
		Use:   "kind-check",
		Short: "Boot onto the engine root, create a real single-node kind cluster offline and report what kube-proxy runs with (each step timed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := kindcluster.CheckMode(mode); err != nil {
				return err
			}
			opts := g.options()
			if !cmd.Flags().Changed("memory") {
				opts.MemoryMiB = kindCheckMemoryMiB
			}
			step := func(name string, d time.Duration, detail string) {
				fmt.Printf("%-22s %8s  %s\n", name, d.Round(10*time.Millisecond), detail)
			}
			env, err := run.Prepare(ctx, opts)
			if err != nil {
				return err
			}
			scale := qemu.TimeoutsFor(env.Accel).Scale
			scaled := func(d time.Duration) time.Duration { return time.Duration(scale * float64(d)).Round(time.Second) }

			cacheDir, err := cache.Dir()
			if err != nil {
				return err
			}
			t0 := time.Now()
			bins, err := k8s.PrepareKind(ctx, cacheDir, k8s.KindOptions{PatchedKind: kindPolicy != string(kindcluster.KindStock)}, os.Stderr)
			if err != nil {
				return fmt.Errorf("kind binaries: %w", err)
			}
			paths := bins.Paths()
			step("binaries", time.Since(t0), fmt.Sprintf("%d binaries (%s)", len(paths), bins.GoVersion))

			t0 = time.Now()
			ni, err := nodeimage.Build(ctx, nodeimage.Options{Binaries: kindcluster.NodeImageInputs(paths), Progress: os.Stderr})
			if err != nil {
				return fmt.Errorf("node image: %w", err)
			}
			var clusterImages []string
			for _, c := range ni.Components {
				clusterImages = append(clusterImages, c.Tags...)
			}
			step("node image", time.Since(t0), fmt.Sprintf("%s, %.0f MB archive, %.0f MB layer, cached=%t", ni.Node.Tags[0], float64(ni.Node.Size)/1e6, float64(ni.Node.Uncompressed)/1e6, ni.Node.Cached))

			t0 = time.Now()
			root, err := image.BuildEngineRoot(ctx, env.CacheDir, os.Stderr)
			if err != nil {
				return err
			}
			step("engine root", time.Since(t0), fmt.Sprintf("%d MiB, cached=%t", root.Size>>20, root.Cached))

			// Kept by default: a failed cluster's logs are the point of a run.
			if out == "" {
				out = filepath.Join("out", "kind-check", fmt.Sprintf("%s-%s-%s", env.Kernel.Entry.Name, mode, time.Now().Format("20060102-150405")))
			}
			dir, cleanup, err := outDir(out)
			if err != nil {
				return err
			}
			defer cleanup()
			cfg, err := kindcluster.Config(mode, scaled(kindControlPlaneBase), scaled(kindLeaseBase))
			if err != nil {
				return err
			}
			cfgPath := filepath.Join(dir, kindcluster.SeedConfig)
			if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
				return err
			}
			seed := map[string]string{
				kindcluster.SeedNodeImage: ni.Node.Path,
				kindcluster.SeedKind:      paths[k8s.Kind(false).Name],
				kindcluster.SeedKubectl:   paths["kubectl-"+k8s.CurrentVersion],
				kindcluster.SeedConfig:    cfgPath,
			}
			if p, ok := paths[k8s.Kind(true).Name]; ok {
				seed[kindcluster.SeedKindPatched] = p
			}
			script, err := kindcluster.Script(kindcluster.ScriptParams{
				Seed: wire.SeedMount, NodeImage: ni.Node.Tags[0], Wait: scaled(kindWaitBase),
				SystemdWait: scaled(kindSystemdWaitBase), Kind: kindcluster.KindPolicy(kindPolicy), Keep: keep,
			})
			if err != nil {
				return err
			}
			o := run.BootOptions{OutDir: dir, Timeout: scaled(kindRunBase),
				Root: &run.DiskRoot{EngineRoot: root.Path, Seed: seed, Engine: true}}
			fmt.Fprintf(os.Stderr, "    guest progress: tail -f %s\n", filepath.Join(dir, "console.log"))
			t0 = time.Now()
			res, err := env.Boot(ctx, wire.Request{Mode: wire.ModeExec, Command: []string{script}}, o)
			if res != nil && res.Outcome != nil {
				step("boot", res.Outcome.BootToHello, fmt.Sprintf("kernel %s, %s, %d MiB, to the agent's hello", res.Facts.KernelRelease, env.Accel, env.MemoryMiB))
				for _, l := range res.Logs {
					if d, ok := strings.CutPrefix(l, "engine: dockerd ready after "); ok {
						dd, _ := time.ParseDuration(d)
						step("dockerd ready", dd, "containerd + dockerd started, docker info answers")
					}
				}
			}
			if err != nil {
				return fmt.Errorf("kind check: %w (console: %s)", err, filepath.Join(dir, "console.log"))
			}
			if res.Exec == nil {
				return fmt.Errorf("kind check: no exec result")
			}
			parsed := kindcluster.Parse(res.Exec.Stdout)
			if err := writeKindDiagnostics(dir, res.Exec, parsed); err != nil {
				fmt.Fprintf(os.Stderr, "    diagnostics: %v\n", err)
			}
			printKindReport(parsed, step)
			step("guest total", time.Since(t0), "QEMU start to power-off")
			bad := kindcluster.Check(parsed, kindcluster.Expect{Mode: mode, NodeImages: ni.Node.Tags, ClusterImages: clusterImages})
			if len(bad) > 0 {
				for _, b := range bad {
					fmt.Printf("FAIL %s\n", b)
				}
				return fmt.Errorf("kind check: %d assertions failed (guest exit %d; diagnostics in %s)", len(bad), res.Exec.ExitCode, dir)
			}
			fmt.Printf("kind check passed: kube-proxy in %s mode\n", mode)
			return nil
		},
	}
	cmd.Flags().StringVar(&mode, "proxy-mode", "ipvs", "kube-proxy mode: "+strings.Join(kindcluster.ProxyModes, ", "))
	cmd.Flags().StringVar(&out, "out", "", "console log and diagnostics go here (default out/kind-check/<kernel>-<mode>-<time>)")
	cmd.Flags().StringVar(&kindPolicy, "kind", string(kindcluster.KindAuto), "kind binary: stock, patched (KIND_SYSTEMD_WAIT), or auto (stock; patched only if the node misses stock kind's 30 s systemd wait)")
	cmd.Flags().BoolVar(&keep, "keep", false, "skip kind delete cluster in the guest (the guest still powers off)")
	return cmd
}

// printKindReport prints the guest's steps, kind's phases and the facts.
func printKindReport(o *kindcluster.Output, step func(string, time.Duration, string)) {
	for _, s := range o.Steps {
		step(s.Name, s.Duration, "")
		if s.Name == "kind-create" {
			for _, p := range kindcluster.KindPhases(o.Kind) {
				state := "ok"
				if !p.Done {
					state = "unfinished"
				} else if !p.OK {
					state = "FAILED"
				}
				step("  "+p.Name, p.Duration, state)
			}
		}
	}
	for _, d := range o.Deviations {
		fmt.Printf("DEVIATION %s\n", d)
	}
	for _, f := range o.Facts {
		fmt.Printf("  %-22s %s\n", f.Key, f.Value)
	}
	for _, name := range []string{"docker-images", "crictl-images", "pull-attempts"} {
		lines, _ := o.Section(name)
		fmt.Printf("  %-22s %s\n", name, strings.Join(lines, ", "))
	}
}

// writeKindDiagnostics keeps the guest's whole output, kind's lines and each
// section as files in the run's directory.
func writeKindDiagnostics(dir string, r *wire.ExecResult, o *kindcluster.Output) error {
	d := filepath.Join(dir, "guest")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	files := map[string]string{"stdout.txt": r.Stdout, "stderr.txt": r.Stderr}
	var kind strings.Builder
	for _, l := range o.Kind {
		fmt.Fprintf(&kind, "%8.1fs %s\n", l.At.Seconds(), l.Text)
	}
	files["kind-create.txt"] = kind.String()
	for i, s := range o.Sections {
		name := fmt.Sprintf("%02d-%s.txt", i, strings.NewReplacer("/", "_", " ", "_").Replace(s.Name))
		files[name] = strings.Join(s.Lines, "\n") + "\n"
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(d, n), []byte(c), 0o644); err != nil {
			return err
		}
	}
	return nil
}
