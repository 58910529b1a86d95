package results

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// fixture describes one synthetic cell: staleShare of the requests after
// the removal still land on the removed pod (81775's symptom).
type fixture struct {
	spec       string // a ParseSpecs item
	staleShare float64
	seed       uint64
}

// writeRun writes root/<kernel>/<id>/ with real records run through
// scenario.Analyze and Judge, exactly as a boot would leave it.
func writeRun(t *testing.T, root, kernel, release, id string, started time.Time, fx ...fixture) {
	t.Helper()
	f := &File{
		Tier: "dataplane", Status: StatusOK, StartedAt: started,
		Kernel: KernelInfo{Name: kernel, Release: release, UnameR: release + "-test", VmlinuzSHA256: "vmlinuz-" + kernel,
			Fixes: scenario.FixSet{"A": true, "B": true, "C": true}, FixesSource: "test fixture"},
		Image: ImageInfo{SHA256: "image"},
		QEMU:  QEMUInfo{Accel: "tcg", CPUs: 2, MemoryMiB: 1024},
	}
	files := map[string][]byte{}
	for _, x := range fx {
		cells, err := scenario.ParseSpecs(x.spec)
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
		f.Cells = append(f.Cells, Cell{Name: cell.Name, Verdict: Judge(res), Result: res, Records: name})
	}
	if _, err := Write(filepath.Join(root, kernel, id), f, files); err != nil {
		t.Fatal(err)
	}
}

// synth makes 600 requests at 150/s; pod "old" leaves the endpoints at 2 s.
func synth(x fixture) ([]scenario.Record, []scenario.Event) {
	const t0 = int64(10 * time.Second)
	removal := t0 + int64(2*time.Second)
	events := []scenario.Event{
		{T: t0 + int64(time.Second), Kind: scenario.EvRolloutStart},
		{T: removal, Kind: scenario.EvEndpointRemoved, Pod: "old"},
		{T: removal + int64(500*time.Millisecond), Kind: scenario.EvSIGTERM, Pod: "old"},
		{T: t0 + int64(3500*time.Millisecond), Kind: scenario.EvRolloutDone},
	}
	rng := rand.New(rand.NewPCG(x.seed, 7))
	var recs []scenario.Record
	for i := range 600 {
		start := t0 + int64(i)*int64(time.Second)/150
		total := int64(float64(2*time.Millisecond) * (0.5 + rng.Float64()))
		pod := []string{"old", "new"}[i%2]
		if start >= removal {
			pod = "new"
			if rng.Float64() < x.staleShare {
				pod = "old"
			}
		}
		recs = append(recs, scenario.Record{Seq: int64(i), Intended: start, Start: start, Connect: total / 4, Total: total, Pod: pod})
	}
	return recs, events
}
