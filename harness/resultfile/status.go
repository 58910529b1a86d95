package resultfile

import (
	"github.com/rolloutlab/rolloutlab/enum"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
)

// RunStatus is a whole boot's outcome, KernelCI-style: a kernel problem is
// not a harness one.
type RunStatus string

const (
	StatusOK         RunStatus = "ok"          // scenario ran; see each cell's verdict
	StatusBootError  RunStatus = "boot-error"  // kernel panicked, hung or lacked features
	StatusGuestError RunStatus = "guest-error" // the agent reported an error
	StatusInfraError RunStatus = "infra-error" // harness could not run the guest
)

// RunStatuses lists every run status, the good one first.
func RunStatuses() []RunStatus {
	return []RunStatus{StatusOK, StatusBootError, StatusGuestError, StatusInfraError}
}

func (s RunStatus) String() string { return string(s) }

// Valid reports whether s is a status this harness writes.
func (s RunStatus) Valid() error { return enum.Check("run status", s, RunStatuses()) }

// ParseRunStatus reads a run status as result files write it.
func ParseRunStatus(s string) (RunStatus, error) {
	v := RunStatus(s)
	return v, v.Valid()
}

// Outcome is the run's one-word answer over its cells: affected when any
// cell is (a symptom seen is seen, whatever else failed), else error when
// any cell has no verdict or there is none at all, else clean.
func (f *File) Outcome() verdict.Status {
	if f == nil || len(f.Cells) == 0 {
		return verdict.Error
	}
	out := verdict.Clean
	for _, c := range f.Cells {
		switch c.Verdict.Status {
		case verdict.Affected:
			return verdict.Affected
		case verdict.Clean:
		default:
			out = verdict.Error
		}
	}
	return out
}
