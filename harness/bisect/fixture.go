package bisect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Fixture is a small kernel history with a known culprit, for checking a
// real bisection end to end: the pristine tree (good), an unrelated
// commit, the commit that applies a catalog revert (the culprit), another
// unrelated commit (bad, HEAD).
type Fixture struct {
	Tree    string `json:"tree"`
	Good    string `json:"good"`
	Culprit string `json:"culprit"`
	Bad     string `json:"bad"`
	Patch   string `json:"patch"`
}

// fixtureEnv pins the commits' authors and dates: the same inputs give the
// same hashes.
var fixtureEnv = []string{
	"GIT_AUTHOR_NAME=rolloutlab", "GIT_AUTHOR_EMAIL=fixture@rolloutlab.invalid", "GIT_AUTHOR_DATE=2026-01-01T00:00:00Z",
	"GIT_COMMITTER_NAME=rolloutlab", "GIT_COMMITTER_EMAIL=fixture@rolloutlab.invalid", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
}

// MakeFixture unpacks tarball into dir/tree and commits the history, once:
// a finished fixture (dir/fixture.json) is reused as it is; an unfinished
// one is removed and made again.
func MakeFixture(ctx context.Context, tarball, dir, patchName string, patch []byte, progress io.Writer) (*Fixture, error) {
	meta := filepath.Join(dir, "fixture.json")
	if b, err := os.ReadFile(meta); err == nil {
		var f Fixture
		if err := json.Unmarshal(b, &f); err == nil && f.Culprit != "" && f.Patch == patchName {
			if head, err := git(ctx, f.Tree, "rev-parse", "HEAD"); err == nil && head == f.Bad {
				return &f, nil
			}
		}
	}
	tree := filepath.Join(dir, "tree")
	if err := os.RemoveAll(tree); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tree, 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "fixture: unpacking %s\n", filepath.Base(tarball))
	if err := runIn(ctx, tree, nil, "tar", "-xf", tarball, "-C", tree, "--strip-components=1"); err != nil {
		return nil, err
	}
	gitRun := func(args ...string) error { return runIn(ctx, tree, fixtureEnv, "git", args...) }
	commit := func(msg string) (string, error) {
		// -f: Debian's linux-source ignores everything at its top level
		// ("/*" in .gitignore); the whole tree is the history here.
		if err := gitRun("add", "-A", "-f"); err != nil {
			return "", err
		}
		if err := gitRun("commit", "-q", "--no-verify", "-m", msg); err != nil {
			return "", err
		}
		return git(ctx, tree, "rev-parse", "HEAD")
	}
	note := func(n int) error {
		return os.WriteFile(filepath.Join(tree, "ROLLOUTLAB-FIXTURE"), fmt.Appendf(nil, "unrelated change %d\n", n), 0o644)
	}
	fmt.Fprintln(progress, "fixture: committing the history (4 commits)")
	f := &Fixture{Tree: tree, Patch: patchName}
	var err error
	if err = gitRun("init", "-q", "-b", "fixture"); err != nil {
		return nil, err
	}
	if f.Good, err = commit("linux-source as packaged (all IPVS fixes)"); err != nil {
		return nil, err
	}
	if err := note(1); err != nil {
		return nil, err
	}
	if _, err = commit("unrelated change 1"); err != nil {
		return nil, err
	}
	patchFile := filepath.Join(dir, patchName)
	if err := os.WriteFile(patchFile, patch, 0o644); err != nil {
		return nil, err
	}
	if err := runIn(ctx, tree, nil, "git", "apply", patchFile); err != nil {
		return nil, fmt.Errorf("apply %s: %w", patchName, err)
	}
	if f.Culprit, err = commit("apply " + strings.TrimSuffix(patchName, ".patch")); err != nil {
		return nil, err
	}
	if err := note(2); err != nil {
		return nil, err
	}
	if f.Bad, err = commit("unrelated change 2"); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return f, writeAtomic(meta, append(b, '\n'))
}

func runIn(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
