package kbuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/steps"
)

// Fixed build identity so two builds of the same inputs give the same
// uname -v and ccache can hit on files that embed it.
var reproducibleEnv = []string{
	"KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
	"KBUILD_BUILD_USER=rolloutlab",
	"KBUILD_BUILD_HOST=rolloutlab",
	"KBUILD_BUILD_VERSION=1",
	"LC_ALL=C",
}

// Build unpacks spec.SourceTarball, applies spec.Patches in order, runs
// `make ARCH=x86_64 tinyconfig`, merges spec.ConfigFragments, runs olddefconfig,
// checks that every requested option survived, and builds bzImage (and
// modules.builtin when CONFIG_MODULES=y). Missing build tools are installed
// with apt-get when running as root, else named with the command to run.
// Everything happens in a temporary directory beside outDir that is renamed
// to outDir only at the end, so an interrupted build (ctx cancelled; callers
// map SIGINT onto ctx) leaves nothing at outDir. outDir must not exist yet.
func Build(ctx context.Context, spec Spec, outDir string, progress io.Writer) (*Output, error) {
	if spec.SourceTarball == "" || spec.SourceSHA256 == "" {
		return nil, errors.New("kbuild: spec needs SourceTarball and SourceSHA256")
	}
	start := time.Now()
	p := newProgress(progress, start)
	b := &buildRun{spec: spec, outDir: outDir, start: start, p: p, tools: newToolInstaller(p.printf)}
	if err := (steps.Runner{Logf: p.printf}).Run(ctx, b.steps()); err != nil {
		return nil, b.explain(ctx, err)
	}
	return b.out, nil
}

// buildRun is what one Build hands from step to step.
type buildRun struct {
	spec   Spec
	outDir string // absolute after readInputs
	start  time.Time
	p      *progress
	tools  toolInstaller

	// Inputs, read before anything is unpacked.
	frags      []fragment
	requested  *Config
	patchTexts [][]byte
	md         Metadata

	// Workspace: tmp holds the source tree and stage, the future outDir.
	tmp, stage, src string
	logFile         *os.File
	log             io.Writer   // build.log and tail
	tail            *tailBuffer // nil until the workspace exists

	env     []string // make's environment
	ccArgs  []string // CC=ccache gcc, when ccache is installed
	final   *Config  // .config after olddefconfig
	modules bool     // CONFIG_MODULES=y: build and publish modules.builtin
	out     *Output
}

// steps is the build, in order; each step is a method in build_*.go.
func (b *buildRun) steps() []steps.Step {
	d := &b.md.Durations
	return []steps.Step{
		{Name: "check prerequisites", Run: b.checkPrerequisites},
		{Name: "read inputs", Run: b.readInputs},
		{Name: "create workspace", Run: b.createWorkspace, Undo: b.removeWorkspace},
		{Name: "verify source", Run: b.verifySource, Seconds: &d.Unpack},
		{Name: "unpack source", Run: b.unpackSource, Seconds: &d.Unpack},
		{Name: "apply patches", Run: b.applyPatches, Seconds: &d.Patch},
		{Name: "detect fixes", Run: b.detectFixes, Seconds: &d.Patch},
		{Name: "configure", Run: b.configure, Seconds: &d.Config},
		{Name: "check config", Run: b.checkConfig, Seconds: &d.Config},
		{Name: "compile", Run: b.compile, Seconds: &d.Compile},
		{Name: "collect outputs", Run: b.collectOutputs},
		{Name: "publish", Run: b.publish},
		{Name: "remove work tree", Run: b.removeWorkTree},
	}
}

// explain turns a failed step into Build's error: the interruption when ctx
// ended the build, else the step's error with the tail of build.log unless
// the error already says exactly what is wrong (a patch, a config option).
func (b *buildRun) explain(ctx context.Context, err error) error {
	var se *steps.Error
	if ctx.Err() != nil && errors.As(err, &se) {
		b.p.printf("interrupted during %s", se.Step)
		return fmt.Errorf("kbuild: %w", &steps.Error{Step: se.Step, Err: ctx.Err()})
	}
	var pe *PatchError
	var me *MismatchError
	if b.tail == nil || b.tail.String() == "" || errors.As(err, &pe) || errors.As(err, &me) {
		return fmt.Errorf("kbuild: %w", err)
	}
	return fmt.Errorf("kbuild: %w\n--- last lines of build.log ---\n%s", err, b.tail)
}
