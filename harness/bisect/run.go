package bisect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Options of a bisection.
type Options struct {
	Tree      string // a kernel git tree, clean
	Good, Bad string // revisions
	Cells     string // e.g. "ipvs:1"
	Accel     string
	Dir       string // report directory
	Obj       string // shared build directory (make O=)
	// StepCommand runs one step for git bisect run; the state file's path
	// is appended. The CLI passes itself: rolloutlab bisect-step.
	StepCommand []string
	Stepper     Stepper
	Progress    io.Writer
}

// Report is what a bisection found.
type Report struct {
	State    *State   `json:"state"`
	FirstBad *Record  `json:"first_bad,omitempty"` // the step that measured it, when one did
	Commit   string   `json:"first_bad_commit"`    // "" when git could not tell
	Subject  string   `json:"first_bad_subject"`
	Steps    []Record `json:"steps"`
	Log      string   `json:"git_bisect_log"`
	Output   string   `json:"git_bisect_run_output"`
}

// Run measures both ends, bisects between them, and writes report.json
// and report.md into o.Dir. The tree is back on its original HEAD
// afterwards, also after an error or Ctrl-C.
func Run(ctx context.Context, o Options) (*Report, error) {
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	if _, err := scenario.ParseSpecs(o.Cells); err != nil {
		return nil, fmt.Errorf("cells: %w", err)
	}
	tree, err := checkTree(ctx, o.Tree)
	if err != nil {
		return nil, err
	}
	good, err := describe(ctx, tree, o.Good)
	if err != nil {
		return nil, err
	}
	bad, err := describe(ctx, tree, o.Bad)
	if err != nil {
		return nil, err
	}
	if _, err := git(ctx, tree, "merge-base", "--is-ancestor", good.Hash, bad.Hash); err != nil {
		return nil, fmt.Errorf("good %s is not an ancestor of bad %s: git bisect needs good before bad", good.Hash[:12], bad.Hash[:12])
	}
	orig, err := git(ctx, tree, "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	if branch, err := git(ctx, tree, "symbolic-ref", "-q", "--short", "HEAD"); err == nil && branch != "" {
		orig = branch
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	s := &State{Tree: tree, Obj: o.Obj, Cells: o.Cells, Accel: o.Accel, Dir: o.Dir}
	bisecting := false
	defer func() {
		// A fresh context: Ctrl-C must not leave the tree mid-bisection.
		rctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if bisecting {
			git(rctx, tree, "bisect", "reset", orig)
		} else {
			git(rctx, tree, "checkout", "-q", orig)
		}
	}()

	for _, end := range []struct {
		c    commitInfo
		role string
		dst  *End
	}{{good, RoleGood, &s.Good}, {bad, RoleBad, &s.Bad}} {
		if _, err := git(ctx, tree, "checkout", "-q", "--detach", end.c.Hash); err != nil {
			return nil, err
		}
		rec, err := RunStep(ctx, s, end.role, o.Stepper, progress)
		if err != nil {
			return nil, err
		}
		if rec.Status == verdict.Error {
			return nil, fmt.Errorf("the %s %s could not be measured: %s", end.role, end.c.Hash[:12], rec.Error)
		}
		*end.dst = End{commitInfo: end.c, Status: rec.Status}
	}
	if err := s.Valid(); err != nil {
		return nil, err
	}
	if err := s.save(); err != nil {
		return nil, err
	}

	if _, err := git(ctx, tree, "bisect", "start", bad.Hash, good.Hash); err != nil {
		return nil, err
	}
	bisecting = true
	args := append([]string{"-C", tree, "bisect", "run"}, o.StepCommand...)
	args = append(args, filepath.Join(s.Dir, stateFile))
	var out strings.Builder
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Stdout = io.MultiWriter(&out, progress)
	cmd.Stderr = cmd.Stdout
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	rep := &Report{State: s, Output: out.String(), Commit: FirstBad(out.String())}
	rep.Log, _ = git(ctx, tree, "bisect", "log")
	if rep.Steps, err = ReadRecords(s.Dir); err != nil {
		return nil, err
	}
	if rep.Commit != "" {
		if c, err := describe(ctx, tree, rep.Commit); err == nil {
			rep.Subject = c.Subject
		}
		for i := range rep.Steps {
			if rep.Steps[i].Hash == rep.Commit {
				rep.FirstBad = &rep.Steps[i]
			}
		}
	}
	if err := rep.write(); err != nil {
		return nil, err
	}
	if rep.Commit == "" {
		return rep, fmt.Errorf("git bisect run named no first bad commit (%v); see %s", runErr, filepath.Join(s.Dir, "report.md"))
	}
	return rep, nil
}

// checkTree wants a git work tree with no local changes and no bisection
// in progress, and returns its top directory.
func checkTree(ctx context.Context, tree string) (string, error) {
	if tree == "" {
		return "", errors.New("--tree: a kernel git tree is required")
	}
	top, err := git(ctx, tree, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", fmt.Errorf("--tree %s: not a git work tree: %w", tree, err)
	}
	if dirty, err := git(ctx, top, "status", "--porcelain", "--untracked-files=no"); err != nil || dirty != "" {
		return "", fmt.Errorf("--tree %s has local changes (commit or stash them; bisect checks out other commits):\n%s", top, dirty)
	}
	gitDir, err := git(ctx, top, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(gitDir, "BISECT_LOG")); err == nil {
		return "", fmt.Errorf("--tree %s: a bisection is already in progress (git bisect reset first)", top)
	}
	for _, f := range []string{"Makefile", "Kconfig", "net/netfilter/ipvs/ip_vs_core.c"} {
		if _, err := os.Stat(filepath.Join(top, f)); err != nil {
			return "", fmt.Errorf("--tree %s: not a Linux tree with IPVS (no %s)", top, f)
		}
	}
	return top, nil
}
