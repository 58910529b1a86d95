// Package resultfiletest writes synthetic result trees for tests: real
// records, run through scenario.Analyze and verdict.Judge, exactly as a boot
// would leave them.
package resultfiletest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Fixture describes one synthetic cell: StaleShare of the requests after
// the removal still land on the removed pod (81775's symptom).
type Fixture struct {
	Spec       string // a ParseSpecs item
	StaleShare float64
	Seed       uint64
}

// WriteRun writes root/<kernel>/<id>/ with real records run through
// scenario.Analyze and verdict.Judge, exactly as a boot would leave it.
func WriteRun(t testing.TB, root, kernel, release, id string, started time.Time, fx ...Fixture) {
	t.Helper()
	f := &resultfile.File{
		Tier: "dataplane", Status: resultfile.StatusOK, StartedAt: started,
		Kernel: resultfile.KernelInfo{Name: kernel, Release: release, UnameR: release + "-test", VmlinuzSHA256: "vmlinuz-" + kernel,
			Fixes: scenario.FixSet{"A": true, "B": true, "C": true}, FixesSource: "test fixture"},
		Image: resultfile.ImageInfo{SHA256: "image"},
		QEMU:  resultfile.QEMUInfo{Accel: "tcg", CPUs: 2, MemoryMiB: 1024},
		Host: resultfile.HostInfo{Hostname: "fixture", CPUs: 2,
			Load: &resultfile.HostLoad{LoadavgStart: [3]float64{0.5, 0.4, 0.3}, LoadavgEnd: [3]float64{1.25, 0.6, 0.4}}},
	}
	files := map[string][]byte{}
	for _, x := range fx {
		cells, err := scenario.ParseSpecs(x.Spec)
		if err != nil {
			t.Fatal(err)
		}
		cell := cells[0]
		recs, events := synth(x)
		res := &scenario.CellResult{Cell: cell, Events: events}
		scenario.Analyze(res, recs, events)
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		enc := json.NewEncoder(zw)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				t.Fatal(err)
			}
		}
		zw.Close()
		name := cell.Name + ".records.jsonl.gz"
		files[name] = buf.Bytes()
		f.Cells = append(f.Cells, resultfile.Cell{Name: cell.Name, Verdict: verdict.Judge(res), Result: res, Records: name})
	}
	if _, err := resultfile.Write(filepath.Join(root, kernel, id), f, files); err != nil {
		t.Fatal(err)
	}
}

// synth makes 600 requests at 150/s; pod "old" leaves the endpoints at 2 s.
func synth(x Fixture) ([]scenario.Record, []scenario.Event) {
	const t0 = int64(10 * time.Second)
	removal := t0 + int64(2*time.Second)
	events := []scenario.Event{
		{T: t0 + int64(time.Second), Kind: scenario.EvRolloutStart},
		{T: removal, Kind: scenario.EvEndpointRemoved, Pod: "old"},
		{T: removal + int64(500*time.Millisecond), Kind: scenario.EvSIGTERM, Pod: "old"},
		{T: t0 + int64(3500*time.Millisecond), Kind: scenario.EvRolloutDone},
	}
	rng := rand.New(rand.NewPCG(x.Seed, 7))
	var recs []scenario.Record
	for i := range 600 {
		start := t0 + int64(i)*int64(time.Second)/150
		total := int64(float64(2*time.Millisecond) * (0.5 + rng.Float64()))
		pod := []string{"old", "new"}[i%2]
		if start >= removal {
			pod = "new"
			if rng.Float64() < x.StaleShare {
				pod = "old"
			}
		}
		recs = append(recs, scenario.Record{Seq: int64(i), Intended: start, Start: start, Connect: total / 4, Total: total, Pod: pod})
	}
	return recs, events
}
