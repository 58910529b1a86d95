package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/kernel"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
)

func TestScenarioExit(t *testing.T) {
	file := func(st ...verdict.Status) *resultfile.File {
		f := &resultfile.File{}
		for i, s := range st {
			f.Cells = append(f.Cells, resultfile.Cell{Name: fmt.Sprint(i), Verdict: verdict.Verdict{Status: s}})
		}
		return f
	}
	boot := errors.New("guest panicked")
	for _, c := range []struct {
		name string
		f    *resultfile.File
		err  error
		want int
	}{
		{"all clean", file(verdict.Clean, verdict.Clean), nil, ExitClean},
		{"one affected", file(verdict.Clean, verdict.Affected), nil, ExitAffected},
		{"affected beats an error", file(verdict.Error, verdict.Affected), boot, ExitAffected},
		{"an unmeasured cell", file(verdict.Clean, verdict.Error), nil, ExitUnmeasured},
		{"flaky is no verdict", file(verdict.Flaky), nil, ExitUnmeasured},
		{"clean cells but the boot failed after", file(verdict.Clean), boot, ExitUnmeasured},
		{"build failed", nil, errors.New("patch does not apply"), ExitUnmeasured},
		{"unknown kernel", nil, fmt.Errorf("x: %w", &kernel.UnknownKernelError{Query: "9.9"}), ExitUsage},
		{"bad PATCHES", nil, &kernel.PatchesError{Entry: "x"}, ExitUsage},
	} {
		if got := scenarioExit(c.f, c.err); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}
