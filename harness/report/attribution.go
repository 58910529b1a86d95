package report

import (
	"fmt"

	"github.com/rolloutlab/rolloutlab/enum"
	"github.com/rolloutlab/rolloutlab/harness/repeats"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Attribution says what reverting some fixes changed: a control kernel
// against the stock kernel of the same release and tier, cell by cell.
type Attribution struct {
	Tier     string
	Base     string         // stock kernel name, all fixes present
	Control  string         // control kernel name
	Reverted []scenario.Fix // fixes the control lacks
	Changes  []string       // "ipvs-reuse1: clean -> affected (syn-drop-1s)"
	// Unlike is set when Base was not made the way Control was (a
	// distribution's binary against a kernel built here): cells no revert
	// can touch may differ too, so a change is not only the fixes'.
	Unlike string
}

// Attributions pairs every row that lacks some known fix with a row of the
// same tier and release that has them all, made the same way (same source
// kind: built here, or a distribution's binary) when there is one: like
// for like, so only the reverted fixes differ. Only what was measured in
// both rows is compared, so an attribution is never more than the data.
func Attributions(m *Matrix) []Attribution {
	var out []Attribution
	for _, ctl := range m.Rows {
		reverted := missingFixes(ctl.Fixes)
		if len(reverted) == 0 {
			continue
		}
		var bases []*Row
		like := false
		for _, base := range m.Rows {
			if base == ctl || base.Tier != ctl.Tier || base.Release != ctl.Release ||
				len(base.Fixes) == 0 || len(missingFixes(base.Fixes)) > 0 {
				continue
			}
			if same := base.Source == ctl.Source; same && !like {
				bases, like = nil, true
			} else if like && !same {
				continue
			}
			bases = append(bases, base)
		}
		for _, base := range bases {
			a := Attribution{Tier: ctl.Tier, Base: base.Kernel, Control: ctl.Kernel, Reverted: reverted}
			if !like {
				a.Unlike = fmt.Sprintf("%s is %s, %s is %s", base.Kernel, sourceText(base.Source), ctl.Kernel, sourceText(ctl.Source))
			}
			for _, c := range m.Columns {
				x, y := base.Cells[c], ctl.Cells[c]
				if x == nil || y == nil {
					continue
				}
				if before, after := verdictText(x), verdictText(y); before != after {
					a.Changes = append(a.Changes, fmt.Sprintf("%s: %s -> %s", c, before, after))
				}
			}
			out = append(out, a)
		}
	}
	return out
}

func sourceText(s string) string {
	switch s {
	case "build":
		return "built here"
	case "":
		return "of unknown source"
	}
	return "a " + s + " binary"
}

func missingFixes(f scenario.FixSet) []scenario.Fix { return f.With(scenario.FixMissing) }

func verdictText(a *repeats.Agg) string {
	if len(a.Symptoms) == 0 || a.Verdict != verdict.Affected {
		return a.Verdict.String()
	}
	return a.Verdict.String() + " (" + enum.Join(a.Symptoms, ", ") + ")"
}
