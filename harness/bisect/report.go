package bisect

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

func (r *Report) write() error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(r.State.Dir, "report.json"), append(b, '\n')); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(r.State.Dir, "report.md"), []byte(r.Markdown()))
}

// Markdown is the report a person reads: the answer first, then every
// measured commit with the numbers that decided it.
func (r *Report) Markdown() string {
	var b strings.Builder
	s := r.State
	fmt.Fprintf(&b, "# Bisection of `%s` in %s\n\n", s.Cells, s.Tree)
	if r.Commit != "" {
		fmt.Fprintf(&b, "**First bad commit: %s %s**\n\n", r.Commit, r.Subject)
	} else {
		b.WriteString("**No first bad commit named** (skipped commits left the range open; see the git output below).\n\n")
	}
	fmt.Fprintf(&b, "- good end %s %q: %s\n- bad end %s %q: %s\n- build directory (make O=): %s\n\n",
		short(s.Good.Hash), s.Good.Subject, s.Good.Status, short(s.Bad.Hash), s.Bad.Subject, s.Bad.Status, s.Obj)
	b.WriteString("| # | role | commit | subject | verdict | exit | requests | failed | to removed pods | connects >= 1 s | timeouts | p99 ms | build s | wall s |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i, st := range r.Steps {
		m := st.Metrics
		exit := "-"
		if st.Role == RoleStep {
			exit = fmt.Sprint(st.Exit)
		}
		verdict := string(st.Status)
		if st.Hash == r.Commit {
			verdict = "**" + verdict + " (first bad)**"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %.0f | %.0f | %.0f |\n",
			i+1, st.Role, short(st.Hash), mdCell(st.Subject), verdict, exit, m.Requests, m.Failed, m.ToRemoved, m.SlowConnects, m.Timeouts, m.P99ms, st.BuildS, st.WallS)
	}
	for _, st := range r.Steps {
		if st.Error != "" {
			fmt.Fprintf(&b, "\n- %s %s: %s", st.Role, short(st.Hash), mdCell(st.Error))
		}
	}
	fmt.Fprintf(&b, "\n\n## git bisect log\n\n```\n%s\n```\n", r.Log)
	return b.String()
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}
