package bisect

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// fakeStepper reads the checked-out tree's BEHAVIOUR file: "clean",
// "affected", or "broken" (the build fails).
type fakeStepper struct{}

func (fakeStepper) Build(_ context.Context, s *State, log io.Writer) error {
	b, _ := os.ReadFile(filepath.Join(s.Tree, "BEHAVIOUR"))
	if strings.TrimSpace(string(b)) == "broken" {
		io.WriteString(log, "error: ip_vs_core.c: syntax error\n")
		return errors.New("make bzImage: exit status 2")
	}
	return nil
}

func (fakeStepper) Measure(_ context.Context, s *State, outDir string) (*resultfile.File, string, error) {
	b, _ := os.ReadFile(filepath.Join(s.Tree, "BEHAVIOUR"))
	st := verdict.Status(strings.TrimSpace(string(b)))
	r := &scenario.CellResult{Counts: scenario.Counts{Requests: 1000, Successes: 1000}}
	if st == verdict.Affected {
		r.Counts.SlowConnects, r.Total.P99 = 312, 1012
	}
	return &resultfile.File{Cells: []resultfile.Cell{{Name: "ipvs-reuse1", Verdict: verdict.Verdict{Status: st}, Result: r}}}, filepath.Join(outDir, "result.json"), nil
}

// TestMain lets the test binary stand in for `rolloutlab bisect-step`.
func TestMain(m *testing.M) {
	if os.Getenv("BISECT_FAKE_STEP") == "1" {
		s, err := LoadState(os.Args[len(os.Args)-1])
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(128)
		}
		rec, err := RunStep(context.Background(), s, RoleStep, fakeStepper{}, os.Stderr)
		if err != nil {
			os.Exit(128)
		}
		os.Exit(rec.Exit)
	}
	os.Exit(m.Run())
}

func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := git(context.Background(), dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// history makes a small tree: behaviours in commit order, one commit each.
func history(t *testing.T, behaviours []string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	gitT(t, dir, "init", "-q", "-b", "main")
	gitT(t, dir, "config", "user.email", "t@example.invalid")
	gitT(t, dir, "config", "user.name", "t")
	for _, f := range []string{"Makefile", "Kconfig", "net/netfilter/ipvs/ip_vs_core.c"} {
		writeT(t, filepath.Join(dir, f), "x\n")
	}
	var hashes []string
	for i, b := range behaviours {
		writeT(t, filepath.Join(dir, "BEHAVIOUR"), b+"\n")
		// Every commit changes something, even when the behaviour repeats.
		writeT(t, filepath.Join(dir, "COUNTER"), strconv.Itoa(i)+"\n")
		gitT(t, dir, "add", "-A")
		gitT(t, dir, "commit", "-q", "-m", "commit "+strconv.Itoa(i)+" "+b)
		hashes = append(hashes, gitT(t, dir, "rev-parse", "HEAD"))
	}
	return dir, hashes
}

func writeT(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func options(t *testing.T, tree string) Options {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("BISECT_FAKE_STEP", "1") // for the children only: this process already ran TestMain
	return Options{Tree: tree, Good: "HEAD~6", Bad: "HEAD", Cells: "ipvs:1", Dir: t.TempDir(), Obj: t.TempDir(),
		StepCommand: []string{self}, Stepper: fakeStepper{}}
}

func TestBisectNamesTheCommitThatChangedTheCell(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	tree, hashes := history(t, []string{"clean", "clean", "broken", "clean", "affected", "broken", "affected"})
	o := options(t, tree)
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Commit != hashes[4] || !strings.Contains(rep.Subject, "commit 4") {
		t.Fatalf("first bad %s %q, want %s\n%s", rep.Commit, rep.Subject, hashes[4], rep.Output)
	}
	roles := map[string]int{}
	for _, s := range rep.Steps {
		roles[s.Role]++
		if s.Role == RoleStep && s.Status == verdict.Error && s.Exit != ExitSkip {
			t.Errorf("a broken build must be skipped: %+v", s)
		}
	}
	if roles[RoleGood] != 1 || roles[RoleBad] != 1 || roles[RoleStep] == 0 {
		t.Errorf("records %v", roles)
	}
	if rep.FirstBad == nil || rep.FirstBad.Metrics.SlowConnects != 312 {
		t.Errorf("first bad step's metrics: %+v", rep.FirstBad)
	}
	md, _ := os.ReadFile(filepath.Join(o.Dir, "report.md"))
	if !strings.Contains(string(md), "First bad commit: "+hashes[4]) || !strings.Contains(string(md), "(first bad)") {
		t.Errorf("report.md:\n%s", md)
	}
	// The tree is back on its branch, not mid-bisection.
	if b := gitT(t, tree, "symbolic-ref", "--short", "HEAD"); b != "main" {
		t.Errorf("tree left on %s", b)
	}
	if _, err := os.Stat(filepath.Join(tree, ".git", "BISECT_LOG")); err == nil {
		t.Error("bisection left in progress")
	}
}

func TestBisectRefusesWhatItCannotBisect(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	same, _ := history(t, []string{"clean", "clean", "clean", "clean", "clean", "clean", "clean"})
	if _, err := Run(context.Background(), options(t, same)); err == nil || !strings.Contains(err.Error(), "behave alike") {
		t.Errorf("ends alike: %v", err)
	}
	brokenEnd, _ := history(t, []string{"broken", "clean", "clean", "clean", "clean", "clean", "affected"})
	if _, err := Run(context.Background(), options(t, brokenEnd)); err == nil || !strings.Contains(err.Error(), "could not be measured") {
		t.Errorf("unbuildable good end: %v", err)
	}
	dirty, _ := history(t, []string{"clean", "clean", "clean", "clean", "clean", "clean", "affected"})
	writeT(t, filepath.Join(dirty, "Makefile"), "changed\n")
	if _, err := Run(context.Background(), options(t, dirty)); err == nil || !strings.Contains(err.Error(), "local changes") {
		t.Errorf("dirty tree: %v", err)
	}
	o := options(t, dirty)
	o.Tree = t.TempDir()
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "not a git work tree") {
		t.Errorf("no git: %v", err)
	}
	o = options(t, same)
	o.Good, o.Bad = "HEAD", "HEAD~3"
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "not an ancestor") {
		t.Errorf("reversed range: %v", err)
	}
}

func TestClassify(t *testing.T) {
	s := &State{Good: End{Status: verdict.Clean}, Bad: End{Status: verdict.Affected}}
	if s.Classify(verdict.Clean) != ExitGood || s.Classify(verdict.Affected) != ExitBad || s.Classify(verdict.Error) != ExitSkip {
		t.Error("clean good end")
	}
	// Looking for the fix: the good end is the affected one.
	s = &State{Good: End{Status: verdict.Affected}, Bad: End{Status: verdict.Clean}}
	if s.Classify(verdict.Clean) != ExitBad || s.Classify(verdict.Affected) != ExitGood {
		t.Error("affected good end")
	}
	if FirstBad("Bisecting: 0 revisions left\n"+strings.Repeat("a", 40)+" is the first bad commit\ncommit x\n") != strings.Repeat("a", 40) || FirstBad("only skipped commits left") != "" {
		t.Error("FirstBad")
	}
}
