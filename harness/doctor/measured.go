package doctor

import (
	"slices"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// ProbeCells are the cells --probe runs on the node's kernel: both reuse
// modes kube-proxy sets, and the control, which must show 81775 on every
// kernel or the measurement is not trusted.
const ProbeCells = "ipvs:0,ipvs:1,controls"

// judgeProbe checks the control and returns the cells to use (none when
// the control failed to show the bug: a probe that cannot see the bug
// proves nothing).
func judgeProbe(m *Measurement) (*ProbeReport, []MeasuredCell) {
	if m == nil {
		return nil, nil
	}
	p := &ProbeReport{Cells: m.Cells}
	control := measuredFor(m.Cells, "0", "0")
	switch {
	case control == nil:
		p.Why = "no control cell (ipvs:0/nodest=0) was measured: the measurement is not used"
	case control.Verdict.Status != verdict.Affected || !slices.Contains(control.Verdict.Symptoms, verdict.StaleBackend):
		p.Why = "the control cell " + control.Name + " did not show 81775 (" + string(control.Verdict.Status) + "): the probe cannot see the bug here, so its other cells prove nothing"
	default:
		p.Trusted = true
		p.Why = "the control cell " + control.Name + " showed 81775, as it must on every kernel: the probe sees the bug"
		return p, m.Cells
	}
	return p, nil
}

// measuredClaims reads fixes back from the measured cells (the README's
// table run backwards): mode 1 clean means A; mode 1 with the SYN drop
// means no A; mode 0 (expire_nodest_conn=1) stale means no C, clean or
// SYN drop means C.
func measuredClaims(cells []MeasuredCell) Claims {
	var out Claims
	if c := measuredFor(cells, "1", "1"); c != nil {
		switch {
		case c.Verdict.Status == verdict.Clean:
			out = append(out, Claim{Fix: scenario.FixA, State: Present, Source: ByProbe, Reason: "A present (measured: " + c.Name + " clean on this kernel)"})
		case slices.Contains(c.Verdict.Symptoms, verdict.SYNDrop):
			out = append(out, Claim{Fix: scenario.FixA, State: Absent, Source: ByProbe, Reason: "A absent (measured: " + c.Name + " shows the 1 s SYN drop on this kernel)"})
		}
	}
	if c := measuredFor(cells, "0", "1"); c != nil {
		switch {
		case slices.Contains(c.Verdict.Symptoms, verdict.StaleBackend):
			out = append(out, Claim{Fix: scenario.FixC, State: Absent, Source: ByProbe, Reason: "C absent (measured: " + c.Name + " shows 81775 on this kernel)"})
		case c.Verdict.Status == verdict.Clean || slices.Contains(c.Verdict.Symptoms, verdict.SYNDrop):
			out = append(out, Claim{Fix: scenario.FixC, State: Present, Source: ByProbe, Reason: "C present (measured: " + c.Name + " reschedules reused ports of a weight-0 pod on this kernel)"})
		}
	}
	return out
}
