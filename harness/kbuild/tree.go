package kbuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// TreeSpec is a build of a source tree the user owns (a git checkout), in
// place, with every output in Obj (make O=): the tree stays clean for git,
// and Obj's objects carry over to the next build, so a bisection step
// recompiles only what its commit changed.
type TreeSpec struct {
	Src, Obj string
	// Fragments are config fragment texts merged over tinyconfig, in order.
	Fragments []string
	Jobs      int // 0 = number of CPUs
}

// TreeOutput is where a tree build left the kernel.
type TreeOutput struct {
	BzImage       string
	Config        string
	KernelRelease string
	Duration      time.Duration
}

// BuildTree configures (tinyconfig + fragments + olddefconfig, every
// requested option checked) and compiles bzImage (and modules with
// CONFIG_MODULES=y) of spec.Src into spec.Obj, with ccache when present.
func BuildTree(ctx context.Context, spec TreeSpec, log io.Writer) (*TreeOutput, error) {
	start := time.Now()
	if err := CheckTools(); err != nil {
		return nil, err
	}
	if spec.Src == "" || spec.Obj == "" {
		return nil, errors.New("tree build: source and output directories are required")
	}
	if _, err := os.Stat(filepath.Join(spec.Src, ".config")); err == nil {
		return nil, fmt.Errorf("tree build: %s has its own .config; an O= build needs a clean source tree (make mrproper)", spec.Src)
	}
	if err := os.MkdirAll(spec.Obj, 0o755); err != nil {
		return nil, err
	}
	jobs := spec.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	env := append([]string{"ARCH=x86_64"}, reproducibleEnv...)
	makeArgs := []string{"-C", spec.Src, "O=" + spec.Obj, "ARCH=x86_64"}
	if ccache := ccachePath(); ccache != "" {
		env = append(env, "CCACHE_BASEDIR="+spec.Src, "CCACHE_NOHASHDIR=true")
		makeArgs = append(makeArgs, "CC="+ccache+" gcc")
	}
	mk := func(w io.Writer, args ...string) error {
		return runCmd(ctx, spec.Obj, env, w, "make", append(append([]string{}, makeArgs...), args...)...)
	}
	var requested []*Config
	for i, f := range spec.Fragments {
		c, err := ParseConfig(fmt.Sprintf("fragment #%d", i), f)
		if err != nil {
			return nil, err
		}
		requested = append(requested, c)
	}
	want := MergeConfigs(nil, requested...)
	if err := mk(log, "tinyconfig"); err != nil {
		return nil, fmt.Errorf("tinyconfig: %w", err)
	}
	dotConfig := filepath.Join(spec.Obj, ".config")
	base, err := readConfig(dotConfig)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(dotConfig, []byte(MergeConfigs(base, want).Render()), 0o644); err != nil {
		return nil, err
	}
	if err := mk(log, "olddefconfig"); err != nil {
		return nil, fmt.Errorf("olddefconfig: %w", err)
	}
	final, err := readConfig(dotConfig)
	if err != nil {
		return nil, err
	}
	if mm := CheckSurvived(want, final); len(mm) > 0 {
		return nil, &MismatchError{Mismatches: mm}
	}
	targets := []string{"-j" + strconv.Itoa(jobs), "bzImage"}
	if v, _ := final.Get("CONFIG_MODULES"); v == "y" {
		targets = append(targets, "modules")
	}
	tail := &tailBuffer{n: 30}
	if err := mk(io.MultiWriter(log, tail), targets...); err != nil {
		return nil, fmt.Errorf("%w; last lines:\n%s", err, tail.String())
	}
	var rel strings.Builder
	if err := mk(&rel, "-s", "kernelrelease"); err != nil {
		return nil, fmt.Errorf("kernelrelease: %w", err)
	}
	return &TreeOutput{
		BzImage:       filepath.Join(spec.Obj, "arch", "x86", "boot", "bzImage"),
		Config:        dotConfig,
		KernelRelease: lastLine(rel.String()), // after any "Entering directory" lines
		Duration:      time.Since(start),
	}, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
