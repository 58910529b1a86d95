package resultfile_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/resultfile/resultfiletest"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

func TestCollectJudgesFromRecords(t *testing.T) {
	root := t.TempDir()
	resultfiletest.WriteRun(t, root, "6.1", "6.1.176", "r1", resultfiletest.Day(), resultfiletest.Fixture{Spec: "ipvs:0", StaleShare: 0.3, Seed: 1})
	// A result written by an older harness that judged differently.
	p := filepath.Join(root, "6.1", "r1", "result.json")
	f, err := resultfile.Read(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Cells[0].Verdict = verdict.Verdict{Status: verdict.Clean}
	f.Cells[0].Result.Counts = scenario.Counts{}
	b, _ := json.Marshal(f)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	runs, _, err := resultfile.Collect(root)
	if err != nil {
		t.Fatal(err)
	}
	c := runs[0].File.Cells[0]
	if c.Verdict.Status != verdict.Affected || c.Result.Counts.ToTerminating == 0 || c.Result.Counts.Requests != 600 {
		t.Errorf("not re-judged from the records: %+v %+v", c.Verdict, c.Result.Counts)
	}
}

func TestRunStatusJSON(t *testing.T) {
	for _, s := range resultfile.RunStatuses() {
		b, err := json.Marshal(resultfile.File{Status: s})
		if err != nil {
			t.Fatal(err)
		}
		var back struct{ Status string }
		if err := json.Unmarshal(b, &back); err != nil || back.Status != s.String() {
			t.Errorf("%s encodes as %q (%v)", s, back.Status, err)
		}
		if got, err := resultfile.ParseRunStatus(s.String()); err != nil || got != s {
			t.Errorf("ParseRunStatus(%s) = %s, %v", s, got, err)
		}
	}
	if _, err := resultfile.ParseRunStatus("failed"); err == nil {
		t.Error("ParseRunStatus accepted failed")
	}
}
