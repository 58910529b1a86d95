package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/ociimage"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/wire"
)

// engineCheckMemoryMiB is the default guest memory: dockerd + containerd
// and the page cache of a 500 MB root do not fit the dataplane's 1 GiB.
const engineCheckMemoryMiB = 2048

// engineCheckScript runs in the disk root once dockerd answers. "@step"
// lines carry the guest-measured duration of each step in ms.
var engineCheckScript = strings.Join([]string{
	"set -e",
	"ms() { echo $(( $(date +%s%N) / 1000000 )); }",
	"s=$(ms); docker load -i " + wire.SeedMount + "/hello.tar; echo \"@step load $(( $(ms) - s ))\"",
	"s=$(ms); docker run --rm " + ociimage.HelloRef + " a b; echo \"@step run $(( $(ms) - s ))\"",
	// Memory in use with dockerd idle after a run: MemTotal - MemAvailable.
	"awk '/^MemTotal/{t=$2} /^MemAvailable/{a=$2} END{printf \"memory in use: %d MiB of %d MiB\\n\", (t-a)/1024, t/1024}' /proc/meminfo",
	"echo '@images'; docker images --format '{{.Repository}}:{{.Tag}}'",
}, "\n")

func newEngineCheckCommand(g *globalFlags) *cobra.Command {
	var keep string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "engine-check",
		Short: "Boot onto the engine root disk, start dockerd, load and run an image the harness built (each step timed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			opts := g.options()
			if !cmd.Flags().Changed("memory") {
				opts.MemoryMiB = engineCheckMemoryMiB
			}
			step := func(name string, d time.Duration, detail string) {
				fmt.Printf("%-18s %8s  %s\n", name, d.Round(10*time.Millisecond), detail)
			}
			env, err := run.Prepare(ctx, opts)
			if err != nil {
				return err
			}
			t0 := time.Now()
			root, err := image.BuildEngineRoot(ctx, env.CacheDir, os.Stderr)
			if err != nil {
				return err
			}
			how := fmt.Sprintf("built, %d MiB, %d entries, %d packages: %s", root.Size>>20, root.Files, len(root.Packages), root.Path)
			if root.Cached {
				how = fmt.Sprintf("cached, %d MiB: %s", root.Size>>20, root.Path)
			}
			step("engine root", time.Since(t0), how)

			dir, cleanup, err := outDir(keep)
			if err != nil {
				return err
			}
			defer cleanup()
			repo, err := run.ModuleRoot()
			if err != nil {
				return err
			}
			t0 = time.Now()
			archive := filepath.Join(dir, "hello.tar")
			if err := ociimage.WriteHello(ctx, repo, archive); err != nil {
				return err
			}
			st, err := os.Stat(archive)
			if err != nil {
				return err
			}
			defer os.Remove(archive)
			step("hello image", time.Since(t0), fmt.Sprintf("%s, %d KiB docker-archive", ociimage.HelloRef, st.Size()>>10))

			o := run.BootOptions{OutDir: dir, Root: &run.DiskRoot{EngineRoot: root.Path, Seed: map[string]string{"hello.tar": archive}, Engine: true}}
			if dryRun {
				o.DryRun = os.Stderr
			}
			t0 = time.Now()
			res, err := bootEngineExec(ctx, env, []string{engineCheckScript}, o, step, "engine check")
			if err != nil {
				return err
			}
			images, err := reportEngineSteps(res.Exec, step)
			step("guest total", time.Since(t0), "QEMU start to power-off")
			if err != nil {
				return err
			}
			if len(images) != 1 || images[0] != ociimage.HelloRef {
				return fmt.Errorf("engine check: docker images lists %q, want only %s", images, ociimage.HelloRef)
			}
			fmt.Println("engine check passed")
			return nil
		},
	}
	cmd.Flags().StringVar(&keep, "out", "", "keep console/control logs in this directory (default: temporary, removed)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the QEMU command line before running")
	return cmd
}

// bootEngineExec boots the engine root running command (one element is a
// shell script, more are an argv), reports the boot and dockerd steps as
// the guest timed them, and wants an exec result; what names the check in
// errors.
func bootEngineExec(ctx context.Context, env *run.Env, command []string, o run.BootOptions, step func(string, time.Duration, string), what string) (*run.Result, error) {
	res, err := env.Boot(ctx, wire.Request{Mode: wire.ModeExec, Command: command}, o)
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
		return res, fmt.Errorf("%s: %w (console: %s)", what, err, filepath.Join(o.OutDir, "console.log"))
	}
	if res.Exec == nil {
		return res, fmt.Errorf("%s: no exec result", what)
	}
	return res, nil
}

// reportEngineSteps prints the guest's output, turning @step lines into
// timed steps, and returns the image list after @images.
func reportEngineSteps(r *wire.ExecResult, step func(string, time.Duration, string)) ([]string, error) {
	var images []string
	inImages := false
	var out []string
	sc := bufio.NewScanner(strings.NewReader(r.Stdout))
	for sc.Scan() {
		l := sc.Text()
		var name string
		var ms int64
		switch {
		case l == "@images":
			inImages = true
		case strings.HasPrefix(l, "@step ") && func() bool { _, err := fmt.Sscanf(l, "@step %s %d", &name, &ms); return err == nil }():
			step("docker "+name, time.Duration(ms)*time.Millisecond, strings.Join(out, " | "))
			out = nil
		case inImages:
			images = append(images, l)
			fmt.Printf("  guest: docker images: %s\n", l)
		default:
			out = append(out, l)
			fmt.Printf("  guest: %s\n", l)
		}
	}
	if r.ExitCode != 0 {
		return images, fmt.Errorf("engine check: guest script exited %d: %s", r.ExitCode, strings.TrimSpace(r.Stderr))
	}
	return images, nil
}
