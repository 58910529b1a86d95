package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/kernel"
	"github.com/rolloutlab/rolloutlab/harness/report"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

type matrixFlags struct {
	root     string
	kernels  string
	cells    string
	repeats  int
	parallel int
	run      bool
}

func newMatrixCommand(g *globalFlags) *cobra.Command {
	var f matrixFlags
	cmd := &cobra.Command{
		Use:   "matrix",
		Short: "Run the scenario per kernel (--run) and regenerate results/matrix.md, matrix.html and charts",
		Example: `  rolloutlab matrix                                   # re-render from results/
  rolloutlab matrix --run --kernels 6.1 --repeats 3
  rolloutlab matrix --run --kernels 5.10,6.1,6.12,7.2 --parallel 2 --cpus 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var runErr error
			if f.run {
				runErr = runMatrix(cmd.Context(), g, f)
			}
			if err := renderMatrix(f.root); err != nil {
				return errors.Join(runErr, err)
			}
			return runErr
		},
	}
	cmd.Flags().StringVar(&f.root, "results", "results", "results root: <root>/<kernel>/<run-id>/result.json")
	cmd.Flags().StringVar(&f.kernels, "kernels", os.Getenv("KERNELS"), "comma-separated kernels to run (default: every catalog kernel) (env KERNELS)")
	cmd.Flags().StringVar(&f.cells, "cells", envOr("CELLS", "default,controls"), "cells or presets, as for `scenario` (env CELLS)")
	cmd.Flags().IntVar(&f.repeats, "repeats", 1, "boots per kernel; repeats give intervals and flake detection")
	// One guest per --cpus host cores: under TCG every vCPU is a busy host
	// thread, and an oversubscribed host turns CPU starvation into request
	// latency that would be reported as the kernel's (1 s connects,
	// timeouts). With 2 host cores and 2 vCPUs that is 1 guest at a time.
	cmd.Flags().IntVar(&f.parallel, "parallel", 0, "guests side by side (default: host cores / --cpus, at least 1)")
	cmd.Flags().BoolVar(&f.run, "run", false, "boot the kernels first; without it only the reports are regenerated")
	return cmd
}

// job is one boot: one kernel, one repeat.
type job struct {
	kernel string
	rep    int
}

// kernelTiming is what the command prints at the end.
type kernelTiming struct {
	first, last time.Time
	boots       []string // "<run-id> <status> <wall>"
	err         error
}

func runMatrix(ctx context.Context, g *globalFlags, f matrixFlags) error {
	cells, err := scenario.ParseSpecs(f.cells)
	if err != nil {
		return err
	}
	names, err := matrixKernels(f.kernels)
	if err != nil {
		return err
	}
	if f.repeats < 1 {
		return fmt.Errorf("--repeats must be >= 1")
	}
	parallel := f.parallel
	if parallel <= 0 {
		parallel = max(1, runtime.NumCPU()/max(1, g.cpus))
	}
	batch := time.Now().UTC().Format("20060102T150405Z")
	var jobs []job
	for _, k := range names {
		for r := 1; r <= f.repeats; r++ {
			jobs = append(jobs, job{kernel: k, rep: r})
		}
	}
	fmt.Fprintf(os.Stderr, "matrix: %d kernel(s) x %d repeat(s) = %d boot(s), %d cell(s) each, %d in parallel\n",
		len(names), f.repeats, len(jobs), len(cells), parallel)

	start := time.Now()
	envs := newEnvCache(g, parallel > 1)
	var mu sync.Mutex
	timing := map[string]*kernelTiming{}
	for _, k := range names {
		timing[k] = &kernelTiming{}
	}
	queue := make(chan job)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				if ctx.Err() != nil {
					continue // interrupted: start no new boot
				}
				t0 := time.Now()
				id := fmt.Sprintf("%s-r%d", batch, j.rep)
				line, err := runOne(ctx, envs, j, cells, filepath.Join(f.root, j.kernel, id))
				mu.Lock()
				kt := timing[j.kernel]
				if kt.first.IsZero() || t0.Before(kt.first) {
					kt.first = t0
				}
				kt.last = time.Now()
				kt.boots = append(kt.boots, fmt.Sprintf("%s %s (%s)", id, line, time.Since(t0).Round(time.Second)))
				if err != nil {
					kt.err = errors.Join(kt.err, fmt.Errorf("%s %s: %w", j.kernel, id, err))
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		queue <- j
	}
	close(queue)
	wg.Wait()

	// Wall times: per kernel from its first boot's start (preparation
	// included) to its last boot's end; the total is the whole command.
	fmt.Printf("\n%-8s %10s  %s\n", "KERNEL", "WALL", "BOOTS")
	var errs []error
	for _, k := range names {
		kt := timing[k]
		wall := "-"
		if !kt.first.IsZero() {
			wall = kt.last.Sub(kt.first).Round(time.Second).String()
		}
		sort.Strings(kt.boots)
		fmt.Printf("%-8s %10s  %s\n", k, wall, strings.Join(kt.boots, "; "))
		if kt.err != nil {
			errs = append(errs, kt.err)
		}
	}
	fmt.Printf("%-8s %10s  (%d boots, parallel %d)\n", "TOTAL", time.Since(start).Round(time.Second), len(jobs), parallel)
	return errors.Join(errs...)
}

// runOne prepares (once per kernel) and boots; the result directory is
// written by env.Scenario whatever happened, so a failed kernel still
// leaves its result.json and never affects the others.
func runOne(ctx context.Context, envs *envCache, j job, cells []scenario.Cell, dir string) (string, error) {
	env, err := envs.get(ctx, j.kernel)
	if err != nil {
		return "prepare-failed", fmt.Errorf("prepare: %w", err)
	}
	// kube-proxy tier cells carry the Kubernetes binaries (built once, cached)
	if env, _, err = env.ForCells(ctx, cells); err != nil {
		return "prepare-failed", fmt.Errorf("prepare: %w", err)
	}
	fr, path, err := env.Scenario(ctx, cells, dir)
	if fr == nil {
		return "no-result", err
	}
	if path != "" {
		fmt.Fprintf(os.Stderr, "[%s] result: %s\n", j.kernel, path)
	}
	counts := map[verdict.Status]int{}
	for _, c := range fr.Cells {
		counts[c.Verdict.Status]++
	}
	var parts []string
	for _, s := range []verdict.Status{verdict.Affected, verdict.Clean, verdict.Error} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return fr.Status.String() + " [" + strings.Join(parts, ", ") + "]", err
}

// matrixKernels resolves --kernels against the catalog before any boot, so
// a typo costs nothing; empty means every catalog kernel.
func matrixKernels(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		cat, err := kernel.Load()
		if err != nil {
			return nil, err
		}
		var out []string
		for _, e := range cat.Kernels {
			out = append(out, e.Name)
		}
		return out, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		e, err := run.ResolveKernel(s, "")
		if err != nil {
			return nil, err
		}
		if !seen[e.Name] {
			seen[e.Name] = true
			out = append(out, e.Name)
		}
	}
	return out, nil
}

// envCache prepares each kernel once, even with repeats running in
// parallel; a failed preparation is remembered, not retried per repeat.
type envCache struct {
	g        *globalFlags
	prefixed bool
	mu       sync.Mutex
	entries  map[string]*envEntry
}

type envEntry struct {
	once sync.Once
	env  *run.Env
	err  error
}

func newEnvCache(g *globalFlags, prefixed bool) *envCache {
	return &envCache{g: g, prefixed: prefixed, entries: map[string]*envEntry{}}
}

func (c *envCache) get(ctx context.Context, k string) (*run.Env, error) {
	c.mu.Lock()
	e := c.entries[k]
	if e == nil {
		e = &envEntry{}
		c.entries[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		o := c.g.options()
		o.Kernel = k
		if c.prefixed {
			o.Progress = &prefixWriter{prefix: "[" + k + "] ", w: os.Stderr}
		}
		e.env, e.err = run.Prepare(ctx, o)
	})
	return e.env, e.err
}

// prefixWriter tags progress lines with the kernel when guests run side
// by side (each Write is one progress message).
type prefixWriter struct {
	prefix string
	w      io.Writer
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// renderMatrix regenerates the reports from whatever is under root.
func renderMatrix(root string) error {
	runs, skipped, err := resultfile.Collect(root)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(os.Stderr, "ignored %s: %s\n", filepath.Join(root, s.Dir), s.Reason)
	}
	if len(runs) == 0 {
		fmt.Fprintf(os.Stderr, "no result.json under %s: nothing to render\n", root)
		return nil
	}
	if err := report.Render(root, report.Build(runs, skipped)); err != nil {
		return fmt.Errorf("render matrix: %w", err)
	}
	fmt.Fprintf(os.Stderr, "matrix: %d run(s) -> %s, %s, %s/\n", len(runs),
		filepath.Join(root, report.MatrixMD), filepath.Join(root, report.MatrixHTML), filepath.Join(root, resultfile.ChartsDir))
	return nil
}
