package bisect

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

// git runs git in the tree and returns its trimmed stdout.
func git(ctx context.Context, tree string, args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", tree}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// commitInfo is a commit's hash and subject.
type commitInfo struct {
	Hash    string `json:"hash"`
	Subject string `json:"subject"`
}

func describe(ctx context.Context, tree, rev string) (commitInfo, error) {
	out, err := git(ctx, tree, "log", "-1", "--format=%H%x00%s", rev+"^{commit}", "--")
	if err != nil {
		return commitInfo{}, fmt.Errorf("revision %q: %w", rev, err)
	}
	h, s, _ := strings.Cut(out, "\x00")
	return commitInfo{Hash: h, Subject: s}, nil
}

var firstBadRE = regexp.MustCompile(`(?m)^([0-9a-f]{40}) is the first bad commit`)

// FirstBad finds the commit `git bisect run` named, "" when it named none
// (e.g. only skipped commits were left).
func FirstBad(bisectOutput string) string {
	if m := firstBadRE.FindStringSubmatch(bisectOutput); m != nil {
		return m[1]
	}
	return ""
}
