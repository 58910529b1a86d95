package runner

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// attempts is a cellRun whose i-th call returns a cell with lag p99 lags[i],
// or fails when lags[i] < 0; it records the attempt numbers asked for.
type attempts struct {
	lags  []float64
	asked []int
}

func (a *attempts) run(_ context.Context, attempt int) (*scenario.CellResult, []byte, error) {
	i := len(a.asked)
	a.asked = append(a.asked, attempt)
	if a.lags[i] < 0 {
		return nil, nil, errors.New("node setup: boom")
	}
	r := &scenario.CellResult{Lag: scenario.Summary{P99: a.lags[i]}, Counts: scenario.Counts{Requests: 100 * (i + 1)}}
	return r, []byte{byte('a' + i)}, nil
}

func TestMeasureRetriesOnceWhenStarved(t *testing.T) {
	tests := []struct {
		name      string
		lags      []float64
		wantAsked []int
		wantFirst bool    // FirstAttempt set
		wantRaw   byte    // whose records are kept
		wantLag   float64 // of the kept result
	}{
		{"measured first time", []float64{40}, []int{0}, false, 'a', 40},
		{"lag exactly at the bound is measured", []float64{scenario.MaxLagP99Ms}, []int{0}, false, 'a', scenario.MaxLagP99Ms},
		{"starved then measured", []float64{900, 30}, []int{0, 7}, true, 'b', 30},
		{"starved twice: no third attempt", []float64{900, 800}, []int{0, 7}, true, 'b', 800},
		{"retry cannot run: the first stands", []float64{900, -1}, []int{0, 7}, false, 'a', 900},
	}
	for _, tt := range tests {
		a := &attempts{lags: tt.lags}
		em := &memEmitter{t: t, files: map[string][]byte{}}
		res, raw, err := measure(context.Background(), a.run, "c", 7, em)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(a.asked) != len(tt.wantAsked) || a.asked[len(a.asked)-1] != tt.wantAsked[len(tt.wantAsked)-1] {
			t.Errorf("%s: attempts %v, want %v", tt.name, a.asked, tt.wantAsked)
		}
		if (res.FirstAttempt != nil) != tt.wantFirst || raw[0] != tt.wantRaw || res.Lag.P99 != tt.wantLag {
			t.Errorf("%s: first %+v, records %q, lag %v", tt.name, res.FirstAttempt, raw, res.Lag.P99)
		}
		if tt.wantFirst && (res.FirstAttempt.Lag.P99 != 900 || res.FirstAttempt.Counts.Requests != 100 ||
			!strings.Contains(res.FirstAttempt.Reason, "start lag p99 900 ms > 250 ms")) {
			t.Errorf("%s: first attempt summary %+v", tt.name, res.FirstAttempt)
		}
		// a starved first attempt's records are kept beside the result
		_, kept := em.files["c.attempt1.records.jsonl.gz"]
		if starved := tt.lags[0] > scenario.MaxLagP99Ms; kept != starved {
			t.Errorf("%s: first attempt's records kept %v, want %v", tt.name, kept, starved)
		}
	}
}

func TestMeasureClosedLoopIsNeverRetried(t *testing.T) {
	calls := 0
	run := func(context.Context, int) (*scenario.CellResult, []byte, error) {
		calls++
		return &scenario.CellResult{Cell: scenario.Cell{Load: scenario.Load{ClosedLoop: true}}, Lag: scenario.Summary{P99: 5000}}, nil, nil
	}
	if _, _, err := measure(context.Background(), run, "c", 1, &memEmitter{t: t}); err != nil || calls != 1 {
		t.Errorf("closed loop: %d attempts, %v", calls, err)
	}
}
