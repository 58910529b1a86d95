package main

import (
	"errors"

	"github.com/rolloutlab/rolloutlab/harness/kernel"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
)

// Exit codes of `rolloutlab scenario`, chosen for `git bisect run`: 0 is
// good, 1 bad, 125 skip, and anything above 127 stops the bisection.
const (
	ExitClean      = 0   // every cell measured, none affected
	ExitAffected   = 1   // at least one cell affected (81775 or the 1 s SYN drop)
	ExitUnmeasured = 125 // no verdict: build, boot or a cell failed (bisect: skip)
	ExitUsage      = 128 // bad input: unknown kernel, bad PATCHES or cells (bisect: stop)
)

// scenarioExit maps a run to its exit code. An affected cell outranks an
// unmeasured one: a symptom seen is a symptom, whatever else failed.
func scenarioExit(f *resultfile.File, err error) int {
	var unknown *kernel.UnknownKernelError
	var patches *kernel.PatchesError
	if errors.As(err, &unknown) || errors.As(err, &patches) {
		return ExitUsage
	}
	if f == nil && err != nil {
		return ExitUnmeasured
	}
	switch f.Outcome() {
	case verdict.Affected:
		return ExitAffected
	case verdict.Clean:
		if err == nil {
			return ExitClean
		}
	}
	return ExitUnmeasured
}
