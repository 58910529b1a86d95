package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/kindcluster"
	"github.com/rolloutlab/rolloutlab/harness/qemu"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

// kindRunBase bounds the whole guest run on KVM; TCG scales it.
const kindRunBase = 20 * time.Minute

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
			if err := wire.KindPolicy(kindPolicy).Valid(); err != nil {
				return fmt.Errorf("--kind: %w", err)
			}
			opts := g.options()
			if !cmd.Flags().Changed("memory") {
				opts.MemoryMiB = run.KindMemoryMiB
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
			t0 := time.Now()
			assets, err := env.PrepareKind(ctx, wire.KindPolicy(kindPolicy))
			if err != nil {
				return err
			}
			step("kind assets", time.Since(t0), fmt.Sprintf("%d binaries (%s), %s (%.0f MB, cached=%t), engine root %d MiB (cached=%t)",
				len(assets.Binaries.Built), assets.Binaries.GoVersion, assets.Node.Tags[0], float64(assets.Node.Size)/1e6, assets.Node.Cached,
				assets.EngineRoot.Size>>20, assets.EngineRoot.Cached))

			// Kept by default: a failed cluster's logs are the point of a run.
			if out == "" {
				out = filepath.Join("out", "kind-check", fmt.Sprintf("%s-%s-%s", env.Kernel.Entry.Name, mode, time.Now().Format("20060102-150405")))
			}
			dir, cleanup, err := outDir(out)
			if err != nil {
				return err
			}
			defer cleanup()
			pm := scenario.ProxyMode(mode)
			root, err := env.KindRoot(assets, []scenario.ProxyMode{pm}, dir)
			if err != nil {
				return err
			}
			spec := env.KindSpec(assets, []scenario.ProxyMode{pm}, keep)
			if err := spec.Valid(); err != nil {
				return err
			}
			specJSON, err := json.Marshal(spec)
			if err != nil {
				return err
			}
			// The agent itself (/proc/self/exe in its child) creates the
			// cluster with the kind tier's own code and checks it.
			argv := []string{"/proc/self/exe", wire.KindCheckCommand, "--spec", string(specJSON), "--mode", mode}
			o := run.BootOptions{OutDir: dir, Timeout: scaled(kindRunBase), Root: root}
			fmt.Fprintf(os.Stderr, "    guest progress: tail -f %s\n", filepath.Join(dir, "console.log"))
			t0 = time.Now()
			res, err := bootEngineExec(ctx, env, argv, o, step, "kind check")
			if err != nil {
				return err
			}
			parsed := kindcluster.Parse(res.Exec.Stdout)
			if err := writeKindDiagnostics(dir, res.Exec, parsed); err != nil {
				fmt.Fprintf(os.Stderr, "    diagnostics: %v\n", err)
			}
			printKindReport(parsed, step)
			step("guest total", time.Since(t0), "QEMU start to power-off")
			// dockerd holds the node image and the app image, both built here
			dockerImages := append(slices.Clone(assets.Node.Tags), assets.App.Ref)
			bad := kindcluster.Check(parsed, kindcluster.Expect{Mode: mode, NodeImages: dockerImages, ClusterImages: assets.ClusterImages()})
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
	cmd.Flags().StringVar(&kindPolicy, "kind", string(wire.KindPolicyAuto), "kind binary: stock, patched (KIND_SYSTEMD_WAIT), or auto (stock; patched only if the node misses stock kind's 30 s systemd wait)")
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
