package verdict

import (
	"slices"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/scenario"
)

func TestJudgeMateriality(t *testing.T) {
	judge := func(c scenario.Counts, connectP99 float64) Verdict {
		return Judge(&scenario.CellResult{Counts: c, Connect: scenario.Summary{P99: connectP99}})
	}
	// One 1 s connect in 1500: reported, not a symptom.
	v := judge(scenario.Counts{Requests: 1500, Successes: 1500, SlowConnects: 1}, 40)
	if v.Status != Clean || !strings.Contains(strings.Join(v.Reasons, ";"), "isolated") {
		t.Errorf("lone slow connect: %+v", v)
	}
	// 0.5 % of 1500 is 7.5: 8 slow connects are a symptom, 7 are not.
	if v := judge(scenario.Counts{Requests: 1500, SlowConnects: 8}, 40); !slices.Equal(v.Symptoms, []Symptom{SYNDrop}) {
		t.Errorf("8 slow connects: %+v", v)
	}
	if v := judge(scenario.Counts{Requests: 1500, SlowConnects: 7}, 40); v.Status != Clean {
		t.Errorf("7 slow connects: %+v", v)
	}
	// Small cells still need MinSymptomCount.
	if v := judge(scenario.Counts{Requests: 200, ToTerminating: 4}, 40); v.Status != Clean {
		t.Errorf("4 of 200: %+v", v)
	}
	if v := judge(scenario.Counts{Requests: 200, ToTerminating: 3, ErrorsToRemoved: 2}, 40); !slices.Equal(v.Symptoms, []Symptom{StaleBackend}) {
		t.Errorf("3+2 of 200: %+v", v)
	}
	// Failures after a removal with no removed pod behind them: reasons only.
	v = judge(scenario.Counts{Requests: 1500, ErrorsAfterRemoval: 20, Errors: map[scenario.ErrorClass]int{scenario.ErrTimeout: 20}}, 40)
	if v.Status != Clean || !strings.Contains(strings.Join(v.Reasons, ";"), "20 of 1500 requests failed after a removal") {
		t.Errorf("unattributed losses: %+v", v)
	}
	// A connect p99 of a second is the SYN drop whatever the count.
	if v := judge(scenario.Counts{Requests: 1500, SlowConnects: 2}, 1040); !slices.Equal(v.Symptoms, []Symptom{SYNDrop}) {
		t.Errorf("p99 >= 1 s: %+v", v)
	}
}
