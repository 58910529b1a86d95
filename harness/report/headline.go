package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Headline is the per-kernel summary: which bug the measured cells show,
// or that the kernel is fixed with the fixes its provenance names.
// Controls are judged separately: a clean control means the harness did
// not reproduce the bug where it must, and says so.
func Headline(row *Row) string {
	var stale, syn, flaky, errs, measured []string
	var cleanControls []string
	names := slices.Sorted(maps.Keys(row.Cells))
	for _, n := range names {
		a := row.Cells[n]
		if a.Control {
			if a.Verdict == verdict.Clean {
				cleanControls = append(cleanControls, n)
			}
			continue
		}
		switch a.Verdict {
		case verdict.Affected:
			measured = append(measured, n)
			if slices.Contains(a.Symptoms, verdict.StaleBackend) {
				stale = append(stale, n)
			}
			if slices.Contains(a.Symptoms, verdict.SYNDrop) {
				syn = append(syn, n)
			}
		case verdict.Flaky:
			flaky = append(flaky, n)
		case verdict.Error:
			errs = append(errs, n)
		default:
			measured = append(measured, n)
		}
	}
	var parts []string
	if len(stale) > 0 {
		parts = append(parts, "81775: affected ("+strings.Join(stale, ", ")+")")
	}
	if len(syn) > 0 {
		parts = append(parts, "1 s SYN drop: affected ("+strings.Join(syn, ", ")+")")
	}
	if len(flaky) > 0 {
		parts = append(parts, "flaky ("+strings.Join(flaky, ", ")+")")
	}
	if len(parts) == 0 && len(measured) > 0 {
		parts = append(parts, fixedText(row.Fixes))
	}
	if len(errs) > 0 {
		parts = append(parts, "error ("+strings.Join(errs, ", ")+")")
	}
	if len(cleanControls) > 0 {
		parts = append(parts, "control clean, bug not reproduced where it must be ("+strings.Join(cleanControls, ", ")+")")
	}
	if len(parts) == 0 {
		return "no cells"
	}
	return strings.Join(parts, "; ")
}

// fixedText attributes a clean result to the fixes the provenance names.
func fixedText(fixes scenario.FixSet) string {
	have, miss := fixes.With(scenario.FixPresent), fixes.With(scenario.FixMissing)
	unknown := fixes.With(scenario.FixUnknown)
	switch {
	case len(have) == 0 && len(miss) == 0:
		return "clean (fixes unknown)"
	case len(miss) == 0 && len(unknown) == 0:
		return "fixed (fixes " + scenario.JoinFixes(have) + " present)"
	default:
		return fmt.Sprintf("clean (fixes %s)", fixes)
	}
}
