package verdict

import (
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/scenario"
)

func TestJudgeSecondAttempt(t *testing.T) {
	first := &scenario.Attempt{Lag: scenario.Summary{P99: 912.4}}
	cell := scenario.Cell{Load: scenario.Load{Rate: 100}}
	ok := &scenario.CellResult{Cell: cell, Counts: scenario.Counts{Requests: 1000, Successes: 1000},
		Lag: scenario.Summary{P99: 12}, FirstAttempt: first}
	v := Judge(ok)
	if v.Status != Clean || len(v.Reasons) != 1 ||
		v.Reasons[0] != "measured on the second attempt; the first fell behind (lag p99 912 ms)" {
		t.Errorf("pass after a failure: %+v", v)
	}
	twice := *ok
	twice.Lag.P99 = 640
	v = Judge(&twice)
	if v.Status != Error || !strings.Contains(v.Reasons[0], "start lag p99 640 ms > 250 ms") ||
		!strings.Contains(v.Reasons[0], "the first attempt fell behind too (lag p99 912 ms)") {
		t.Errorf("second failure: %+v", v)
	}
	load := "host load 3.2 on 2 cores during the boot"
	NoteHostLoad(&v, &twice, load)
	NoteHostLoad(&v, &twice, load) // idempotent: a re-judged file is noted again
	if !strings.HasSuffix(v.Reasons[0], "; "+load) || strings.Count(v.Reasons[0], load) != 1 {
		t.Errorf("host load note: %q", v.Reasons[0])
	}
	clean := Judge(ok)
	NoteHostLoad(&clean, ok, load)
	if strings.Contains(strings.Join(clean.Reasons, ";"), "host load") {
		t.Errorf("host load only explains a lag error: %+v", clean)
	}
}
