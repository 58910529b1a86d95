package resultfile

import "github.com/rolloutlab/rolloutlab/enum"

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
