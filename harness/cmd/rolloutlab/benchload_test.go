package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseLoadBench(t *testing.T) {
	out := `load: 2410 requests written to /tmp/load.jsonl
LOAD ok=2400 failed=10
Complete requests:      1987
Failed requests:        0
Requests per second:    198.61 [#/sec] (mean)
`
	b, err := parseLoadBench(out, 10)
	if err != nil {
		t.Fatal(err)
	}
	if b.loadOK != 2400 || b.loadFailed != 10 || b.loadRate != 240 || b.abRate != 198.61 || b.abComplete != 1987 {
		t.Errorf("parsed %+v", b)
	}
	// With a measured span the rate is over it, not over the nominal run time.
	b, err = parseLoadBench("LOAD ok=2400 failed=0 span=8.000\n"+out[len("load: 2410 requests written to /tmp/load.jsonl\nLOAD ok=2400 failed=10\n"):], 10)
	if err != nil || b.loadRate != 300 {
		t.Errorf("span rate: %+v %v", b, err)
	}
	if _, err := parseLoadBench("LOAD ok=1 failed=0\n", 10); err == nil {
		t.Error("missing ab summary must be an error")
	}
}

func TestParseLoadBenchPairs(t *testing.T) {
	pair := func(ok int, ab string) string {
		return "PAIR x\nload: written\nLOAD ok=" + fmt.Sprint(ok) + " failed=0 span=10.000\nComplete requests:      100\nFailed requests:        0\nRequests per second:    " + ab + " [#/sec] (mean)\n"
	}
	bs, err := parseLoadBenchPairs("set-up noise\n"+pair(2000, "250.00")+pair(2600, "260.00"), 10)
	if err != nil || len(bs) != 2 || bs[0].loadRate != 200 || bs[1].abRate != 260 {
		t.Fatalf("parsed %+v %v", bs, err)
	}
	if _, err := parseLoadBenchPairs(pair(2000, "250.00")+"PAIR 1\nLOAD ok=1 failed=0\nab exited 1\n", 10); err == nil || !strings.Contains(err.Error(), "pair 2") {
		t.Errorf("a pair without ab's summary: %v, want an error naming pair 2", err)
	}
	if _, err := parseLoadBenchPairs("no pairs here", 10); err == nil {
		t.Error("no PAIR line accepted")
	}
	script := fmt.Sprintf(loadBenchScript, 8, 10, 5)
	if strings.Contains(script, "%!") || !strings.Contains(script, "seq 0 $((2 * 5 - 1))") || !strings.Contains(script, `"concurrency":8`) {
		t.Errorf("rendered script:\n%s", script)
	}
	if m := medianRatio([]float64{0.9, 1.0, 1.2}); m != 1.0 {
		t.Errorf("median %v", m)
	}
	if m := medianRatio([]float64{0.9, 1.1}); m != 1.0 {
		t.Errorf("even median %v", m)
	}
}

func TestParseControlPlaneBench(t *testing.T) {
	out := "noise\nCONTROLPLANE run=1 ready=31.250 kubeproxy=3.500 mode=ipvs\nCONTROLPLANE run=2 ready=28.000 kubeproxy=4.000 mode=ipvs\n"
	b, err := parseControlPlaneBench(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.ready) != 2 || b.ready[0] != 31250*time.Millisecond || b.kubeProxy[1] != 4*time.Second {
		t.Errorf("parsed %+v", b)
	}
	if _, err := parseControlPlaneBench("kube-apiserver not ready"); err == nil {
		t.Error("no lines accepted")
	}
}
