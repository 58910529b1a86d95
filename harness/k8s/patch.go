package k8s

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Patch is a unified diff (paths a/... b/..., relative to the module root)
// that this project applies to a pinned module's source before building.
type Patch struct {
	Name string // file name under patches/, for messages
	Diff []byte
}

// SHA256 is the hex digest of the diff, part of the cache key.
func (p *Patch) SHA256() string {
	s := sha256.Sum256(p.Diff)
	return hex.EncodeToString(s[:])
}

// filePatch is the part of a diff that changes one file.
type filePatch struct {
	path  string // relative to the tree's root
	hunks []hunk
}

type hunk struct {
	oldStart     int // 1-based line of the first old line
	oldN, newN   int
	oldL, newL   []string
	headerLineNo int // for messages
}

// Apply changes the tree at root. Every hunk must match exactly at the line
// it names (no fuzz, no offset search): the patch is pinned to one module
// version, so any drift is an error to look at, not to paper over.
func (p *Patch) Apply(root string) error {
	files, err := parseDiff(string(p.Diff))
	if err != nil {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	for _, f := range files {
		if err := applyFile(filepath.Join(root, filepath.FromSlash(f.path)), f); err != nil {
			return fmt.Errorf("%s: %s: %w", p.Name, f.path, err)
		}
	}
	return nil
}

func applyFile(path string, f filePatch) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n") // a final "" stands for the trailing newline
	delta := 0
	for _, h := range f.hunks {
		at := h.oldStart - 1 + delta
		if h.oldN == 0 {
			at++ // "-N,0" names the line after which to insert
		}
		if at < 0 || at+len(h.oldL) > len(lines) {
			return fmt.Errorf("hunk at diff line %d: outside the file", h.headerLineNo)
		}
		for i, want := range h.oldL {
			if lines[at+i] != want {
				return fmt.Errorf("hunk at diff line %d does not match line %d: have %q, want %q", h.headerLineNo, at+i+1, lines[at+i], want)
			}
		}
		lines = append(lines[:at], append(append([]string{}, h.newL...), lines[at+len(h.oldL):]...)...)
		delta += len(h.newL) - len(h.oldL)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")), st.Mode().Perm())
}

// parseDiff reads the files and hunks of a unified diff; text before the
// first "--- " line is a description and is skipped.
func parseDiff(diff string) ([]filePatch, error) {
	lines := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	var files []filePatch
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "--- ") {
			continue
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "+++ ") {
			return nil, fmt.Errorf("line %d: \"---\" without \"+++\"", i+1)
		}
		oldPath, newPath := diffPath(lines[i][4:]), diffPath(lines[i+1][4:])
		if oldPath == "" || newPath == "" || oldPath != newPath {
			return nil, fmt.Errorf("line %d: only in-place changes are supported (%q -> %q)", i+1, oldPath, newPath)
		}
		f := filePatch{path: newPath}
		i += 2
		for i < len(lines) && strings.HasPrefix(lines[i], "@@ ") {
			h, next, err := parseHunk(lines, i)
			if err != nil {
				return nil, err
			}
			f.hunks = append(f.hunks, h)
			i = next
		}
		if len(f.hunks) == 0 {
			return nil, fmt.Errorf("%s: no hunks", f.path)
		}
		files = append(files, f)
		i-- // the loop's i++ lands on the line after the last hunk
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no file changes in the diff")
	}
	return files, nil
}

// diffPath strips the a/ or b/ prefix and any tab-separated timestamp; it
// refuses /dev/null (creation, deletion) and paths leaving the tree.
func diffPath(s string) string {
	s, _, _ = strings.Cut(s, "\t")
	_, rest, ok := strings.Cut(s, "/")
	if !ok || s == "/dev/null" {
		return ""
	}
	clean := filepath.ToSlash(filepath.Clean(rest))
	if clean == ".." || strings.HasPrefix(clean, "../") || filepath.IsAbs(rest) {
		return ""
	}
	return clean
}

// parseHunk reads the hunk whose header is lines[i] and returns the index of
// the line after it.
func parseHunk(lines []string, i int) (hunk, int, error) {
	h := hunk{headerLineNo: i + 1}
	var err error
	var oldSpec, newSpec string
	if _, err := fmt.Sscanf(lines[i], "@@ %s %s @@", &oldSpec, &newSpec); err != nil {
		return h, 0, fmt.Errorf("line %d: bad hunk header %q", i+1, lines[i])
	}
	if h.oldStart, h.oldN, err = hunkRange(oldSpec, "-"); err != nil {
		return h, 0, fmt.Errorf("line %d: %w", i+1, err)
	}
	if _, h.newN, err = hunkRange(newSpec, "+"); err != nil {
		return h, 0, fmt.Errorf("line %d: %w", i+1, err)
	}
	i++
	for ; i < len(lines) && (len(h.oldL) < h.oldN || len(h.newL) < h.newN); i++ {
		l := lines[i]
		if l == "" {
			l = " " // some editors strip the space of an empty context line
		}
		switch l[0] {
		case ' ':
			h.oldL, h.newL = append(h.oldL, l[1:]), append(h.newL, l[1:])
		case '-':
			h.oldL = append(h.oldL, l[1:])
		case '+':
			h.newL = append(h.newL, l[1:])
		default:
			return h, 0, fmt.Errorf("line %d: unexpected %q in a hunk", i+1, l)
		}
	}
	if len(h.oldL) != h.oldN || len(h.newL) != h.newN {
		return h, 0, fmt.Errorf("line %d: hunk has %d old and %d new lines, header says %d and %d", h.headerLineNo, len(h.oldL), len(h.newL), h.oldN, h.newN)
	}
	if i < len(lines) && strings.HasPrefix(lines[i], `\`) {
		return h, 0, fmt.Errorf("line %d: \"No newline at end of file\" is not supported", i+1)
	}
	return h, i, nil
}

// hunkRange parses "-441,7" (or "-441", one line).
func hunkRange(s, sign string) (start, n int, err error) {
	rest, ok := strings.CutPrefix(s, sign)
	if !ok {
		return 0, 0, fmt.Errorf("bad range %q", s)
	}
	a, b, hasN := strings.Cut(rest, ",")
	if start, err = strconv.Atoi(a); err != nil {
		return 0, 0, fmt.Errorf("bad range %q: %w", s, err)
	}
	n = 1
	if hasN {
		if n, err = strconv.Atoi(b); err != nil {
			return 0, 0, fmt.Errorf("bad range %q: %w", s, err)
		}
	}
	return start, n, nil
}
