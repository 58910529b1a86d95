package kbuild

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// PatchError names the patch and the hunks that did not apply.
type PatchError struct {
	Patch  string
	Failed []string // e.g. "net/netfilter/ipvs/ip_vs_core.c: Hunk #2 FAILED at 2054."
	Output string
	Err    error
}

func (e *PatchError) Error() string {
	msg := fmt.Sprintf("patch %s does not apply", filepath.Base(e.Patch))
	if len(e.Failed) > 0 {
		msg += ": " + strings.Join(e.Failed, "; ")
	} else {
		msg += ":\n" + e.Output
	}
	return msg
}

func (e *PatchError) Unwrap() error { return e.Err }

// applyPatches applies the patches (names and contents) in order with no
// fuzz: a reverted fix that lands somewhere else than intended is worse than a
// failed build. The contents are the ones hashed into the cache key.
func applyPatches(ctx context.Context, srcDir string, patches []string, texts [][]byte) error {
	for i, p := range patches {
		var out bytes.Buffer
		err := runCmdIn(ctx, srcDir, nil, bytes.NewReader(texts[i]), &out, "patch", "-p1", "--batch", "--forward", "--fuzz=0")
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			return &PatchError{Patch: p, Failed: failedHunks(out.String()), Output: out.String(), Err: err}
		}
	}
	return nil
}

var (
	patchingFile = regexp.MustCompile(`^(?:checking|patching) file '?([^']+?)'?$`)
	hunkFailed   = regexp.MustCompile(`^Hunk #\d+ FAILED at \d+.*$`)
	reversedMsg  = regexp.MustCompile(`^Reversed \(or previously applied\) patch detected!.*$`)
)

// failedHunks turns GNU patch output into "file: Hunk #n FAILED at line" items.
func failedHunks(out string) []string {
	var res []string
	file := ""
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if m := patchingFile.FindStringSubmatch(l); m != nil {
			file = m[1]
			continue
		}
		if hunkFailed.MatchString(l) || reversedMsg.MatchString(l) {
			res = append(res, file+": "+l)
		}
		if strings.HasPrefix(l, "can't find file to patch") {
			res = append(res, "file to patch not found")
		}
	}
	return res
}
