package runner

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// A worker's stdout, relayed: every message reaches the parent's emitter as
// the worker sent it, console noise becomes a log line, and a framed line
// that does not decode is an error, not a lost result.
func TestRelayWorkerLines(t *testing.T) {
	var out bytes.Buffer
	w := newLineEmitter(&out)
	w.Logf("cell %s: start", "a")
	if err := w.CellResult(&scenario.CellResult{Cell: scenario.Cell{Name: "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.File("a.records.jsonl.gz", []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	out.WriteString("a stray line from a tool\n")

	em := &memEmitter{t: t, results: map[string]any{}, files: map[string][]byte{}}
	if err := relay(&out, em); err != nil {
		t.Fatal(err)
	}
	if _, ok := em.results["a"]; !ok {
		t.Errorf("cell result not relayed: %v", em.results)
	}
	if got := em.files["a.records.jsonl.gz"]; !bytes.Equal(got, []byte{0, 1, 2}) {
		t.Errorf("file relayed as %v", got)
	}

	bad := "@@rolloutlab {\"kind\":\"cell-result\",\"time\":\"2026-12-06T00:00:00Z\"}\n"
	err := relay(strings.NewReader(bad), em)
	if err == nil || !strings.Contains(err.Error(), "undecodable") {
		t.Errorf("a cell result without its payload relayed as %v, want an undecodable-line error", err)
	}
}
