package kbuild

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$`)

// ReversePatch turns a unified diff into the one that undoes it: file
// headers and hunk ranges swapped, '-' and '+' lines exchanged. It lets a
// user hand a catalog revert back as PATCHES= (applying the fix again)
// without a second copy of the patch. Text outside the diffs is kept.
func ReversePatch(text []byte) ([]byte, error) {
	lines := strings.SplitAfter(string(text), "\n")
	var out bytes.Buffer
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "--- ") && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "+++ "):
			// Keep the a/ and b/ sides in place so -p1 still strips right.
			oldName, newName := strings.TrimPrefix(l, "--- "), strings.TrimPrefix(lines[i+1], "+++ ")
			fmt.Fprintf(&out, "--- %s+++ %s", oldName, newName)
			i++
		case strings.HasPrefix(l, "@@ "):
			m := hunkHeader.FindStringSubmatch(strings.TrimRight(l, "\n"))
			if m == nil {
				return nil, fmt.Errorf("reverse patch: line %d: bad hunk header %q", i+1, strings.TrimSpace(l))
			}
			oldLen, newLen := hunkLen(m[2]), hunkLen(m[4])
			fmt.Fprintf(&out, "@@ -%s +%s @@%s\n", hunkRange(m[3], m[4]), hunkRange(m[1], m[2]), m[5])
			for oldLen > 0 || newLen > 0 {
				i++
				if i >= len(lines) || lines[i] == "" {
					return nil, fmt.Errorf("reverse patch: hunk at line %d ends early", i)
				}
				b := lines[i]
				switch b[0] {
				case ' ', '\n':
					oldLen, newLen = oldLen-1, newLen-1
					out.WriteString(b)
				case '-':
					oldLen--
					out.WriteString("+" + b[1:])
				case '+':
					newLen--
					out.WriteString("-" + b[1:])
				case '\\': // "\ No newline at end of file"
					out.WriteString(b)
				default:
					return nil, fmt.Errorf("reverse patch: line %d: %q inside a hunk", i+1, strings.TrimSpace(b))
				}
			}
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\\") {
				i++
				out.WriteString(lines[i])
			}
		default:
			out.WriteString(l)
		}
	}
	return out.Bytes(), nil
}

func hunkLen(s string) int {
	if s == "" {
		return 1
	}
	n, _ := strconv.Atoi(s) // the regexp admits digits only
	return n
}

func hunkRange(start, length string) string {
	if length == "" {
		return start
	}
	return start + "," + length
}
