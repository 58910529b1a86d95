package resultfile

import (
	"path/filepath"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// Reanalyze recomputes every cell's statistics and verdict from its raw
// records with the current analysis, so a matrix built from results of
// different harness versions judges them all alike, and every number in it
// comes from the records beside it. A cell without readable records keeps
// what the boot wrote.
func Reanalyze(dir string, f *File) {
	for i := range f.Cells {
		c := &f.Cells[i]
		if c.Result == nil || c.Records == "" {
			continue
		}
		recs, err := ReadRecords(filepath.Join(dir, c.Records))
		if err != nil {
			continue
		}
		scenario.Analyze(c.Result, recs, c.Result.Events)
		c.Verdict = verdict.Judge(c.Result)
	}
	noteHostLoad(f)
}
