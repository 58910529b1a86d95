package scenario

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	// 1..1000 ms: p50 = 500 ms, p90 = 900, p99 = 990, p99.9 = 999, max 1000.
	var ds []time.Duration
	for i := 1; i <= 1000; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(ds)
	// HDR with 3 significant digits: values within 0.1 %.
	check := func(name string, got, want float64) {
		if got < want*0.999 || got > want*1.001 {
			t.Errorf("%s = %v, want %v (±0.1%%)", name, got, want)
		}
	}
	if s.Count != 1000 {
		t.Errorf("count %d", s.Count)
	}
	check("p50", s.P50, 500)
	check("p90", s.P90, 900)
	check("p99", s.P99, 990)
	check("p99.9", s.P999, 999)
	check("max", s.Max, 1000)
	check("mean", s.Mean, 500.5)

	if got := Summarize(nil); got != (Summary{}) {
		t.Errorf("empty: %+v", got)
	}
	// A 1 s SYN retransmit step shows up in p99 but not p50.
	ds = ds[:0]
	for i := 0; i < 95; i++ {
		ds = append(ds, 2*time.Millisecond)
	}
	for i := 0; i < 5; i++ {
		ds = append(ds, 1030*time.Millisecond)
	}
	s = Summarize(ds)
	check("step p50", s.P50, 2)
	check("step p99", s.P99, 1030)
}

func TestTimeline(t *testing.T) {
	ms := int64(time.Millisecond)
	t0 := int64(1_000_000_000)
	recs := []Record{
		{Intended: t0, Total: 5 * ms},
		{Intended: t0 + 50*ms, Total: 1100 * ms, Err: ErrTimeout},
		{Intended: t0 + 99*ms, Total: 5 * ms},
		{Intended: t0 + 100*ms, Total: 5 * ms},
		{Intended: t0 + 350*ms, Total: 1500 * ms},
	}
	toTerm := []bool{false, false, true, false, true}
	got := Timeline(recs, toTerm, t0, 100*time.Millisecond)
	want := []Bucket{
		{StartMs: 0, Requests: 3, Errors: 1, Over1s: 1, ToTerminating: 1},
		{StartMs: 100, Requests: 1},
		{StartMs: 200},
		{StartMs: 300, Requests: 1, Over1s: 1, ToTerminating: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d buckets %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bucket %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if Timeline(nil, nil, 0, time.Second) != nil {
		t.Error("empty records should give nil")
	}
}

func TestAnalyze(t *testing.T) {
	s := int64(time.Second)
	ms := int64(time.Millisecond)
	recs := []Record{
		{Intended: 0, Start: 0, Connect: 1 * ms, Total: 3 * ms, Pod: "web-a"},
		{Intended: 500 * ms, Start: 500 * ms, Connect: 1 * ms, Total: 3 * ms, Pod: "web-b"},
		// connected to web-a after its endpoint was removed at 1 s
		{Intended: 1 * s, Start: 1*s + 1*ms, Connect: 2 * ms, Total: 4 * ms, Pod: "web-a"},
		{Intended: 1500 * ms, Start: 1500 * ms, Connect: 1030 * ms, Total: 1040 * ms, Pod: "web-b"},
		{Intended: 2 * s, Start: 2 * s, Total: 3 * s, Err: ErrTimeout, Phase: "connect"},
	}
	events := []Event{{T: 1 * s, Kind: EvEndpointRemoved, Pod: "web-a"}}
	var res CellResult
	Analyze(&res, recs, events)
	c := res.Counts
	if c.Requests != 5 || c.Successes != 4 || c.Errors[ErrTimeout] != 1 || c.Errors[ErrRefused] != 0 {
		t.Errorf("counts %+v", c)
	}
	if c.Over1s != 2 || c.ToTerminating != 1 || c.ErrorsAfterRemoval != 1 {
		t.Errorf("over1s=%d toTerm=%d errAfter=%d", c.Over1s, c.ToTerminating, c.ErrorsAfterRemoval)
	}
	if res.PerPod["web-a"] != 2 || res.PerPod["web-b"] != 2 {
		t.Errorf("per pod %v", res.PerPod)
	}
	// span: 0 .. 2 s + 3 s = 5 s; 4 successes / 5 s
	if res.LoadSeconds != 5 || res.Throughput != 0.8 {
		t.Errorf("load %v s, throughput %v", res.LoadSeconds, res.Throughput)
	}
	if res.Connect.Count != 4 || res.Total.Count != 5 {
		t.Errorf("summaries %+v %+v", res.Connect, res.Total)
	}
	if len(res.Timeline) != 21 || res.Timeline[10].ToTerminating != 1 || res.Timeline[20].Errors != 1 {
		t.Errorf("timeline len %d: %+v", len(res.Timeline), res.Timeline)
	}
}

func TestErrorsToRemoved(t *testing.T) {
	s := int64(time.Second)
	recs := []Record{
		{Start: 0, Pod: "web-a", LocalPort: 40001},
		{Start: 0, Pod: "web-b", LocalPort: 40002},
		// port 40001 last answered by web-a, removed at 1 s: 81775
		{Start: 2 * s, Err: ErrTimeout, Phase: "connect", LocalPort: 40001},
		// and it stays stuck there: the failure above names no pod
		{Start: 3 * s, Err: ErrNoRoute, Phase: "connect", LocalPort: 40001},
		// accepted, then unanswered: it reached a live pod
		{Start: 4 * s, Connect: 1, Err: ErrTimeout, Phase: "read", LocalPort: 40001},
		// port 40002 last answered by web-b, still an endpoint: a loss, not 81775
		{Start: 2 * s, Err: ErrTimeout, Phase: "connect", LocalPort: 40002},
		// started before web-a's removal: not traffic sent to a removed pod
		{Start: s / 2, Err: ErrTimeout, Phase: "connect", LocalPort: 40001},
		// never used before
		{Start: 2 * s, Err: ErrTimeout, Phase: "connect", LocalPort: 40003},
	}
	for i := range recs {
		recs[i].Intended = recs[i].Start
	}
	var res CellResult
	Analyze(&res, recs, []Event{{T: 1 * s, Kind: EvEndpointRemoved, Pod: "web-a"}})
	if c := res.Counts; c.ErrorsToRemoved != 2 || c.ErrorsAfterRemoval != 5 {
		t.Errorf("errors to removed %d (want 2), after removal %d (want 5)", c.ErrorsToRemoved, c.ErrorsAfterRemoval)
	}
}
