// Package verdict judges a cell from its measured numbers (Judge), predicts
// what a kernel's fixes make of a cell (Expect), and combines the verdicts
// of repeats (Combine). It reads no files: the numbers come from scenario.
package verdict

import "github.com/rolloutlab/rolloutlab/enum"

// Status is a cell's verdict (KernelCI's vocabulary where it fits).
type Status string

const (
	Clean    Status = "clean"    // no symptom: what a correct kernel does
	Affected Status = "affected" // at least one symptom of 81775 or the 1 s SYN drop
	Error    Status = "error"    // the cell could not be measured
	// Flaky: repeats disagree (one affected, one clean), NIPA's
	// fail-then-pass. Only Combine gives it; it is never a per-boot verdict.
	Flaky Status = "flaky"
)

// Statuses lists every verdict in the order the reports explain them.
func Statuses() []Status { return []Status{Affected, Clean, Error, Flaky} }

func (s Status) String() string { return string(s) }

// Valid reports whether s is a verdict this harness gives.
func (s Status) Valid() error { return enum.Check("verdict", s, Statuses()) }

// ParseStatus reads a verdict as result files and users write it.
func ParseStatus(s string) (Status, error) {
	v := Status(s)
	return v, v.Valid()
}
