// Package bisect finds the kernel commit that changed a cell: it measures
// the good and the bad end, then drives `git bisect run` with one build +
// boot + cell per step. A step exits 0 when the cell behaves like the good
// end, 1 like the bad end, 125 when it cannot tell (build or boot failed,
// the cell was not measured): git skips that commit.
package bisect

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// State is what every step needs; Run writes it before git bisect run.
type State struct {
	Tree  string `json:"tree"`  // the git tree bisected
	Obj   string `json:"obj"`   // shared build directory (make O=)
	Cells string `json:"cells"` // cell spec, as rolloutlab scenario takes it
	Accel string `json:"accel"`
	Dir   string `json:"dir"` // where steps and the report go
	Good  End    `json:"good"`
	Bad   End    `json:"bad"`
}

// End is one end of the range with the behaviour measured there.
type End struct {
	commitInfo
	Status verdict.Status `json:"status"`
}

// Valid checks a state read back from disk.
func (s *State) Valid() error {
	var errs []error
	if s.Tree == "" || s.Obj == "" || s.Dir == "" {
		errs = append(errs, errors.New("tree, obj and dir are required"))
	}
	if _, err := scenario.ParseSpecs(s.Cells); err != nil {
		errs = append(errs, fmt.Errorf("cells: %w", err))
	}
	if s.Good.Status == s.Bad.Status {
		errs = append(errs, fmt.Errorf("good and bad end behave alike (%s): nothing to bisect", s.Good.Status))
	}
	for _, e := range []End{s.Good, s.Bad} {
		if e.Status != verdict.Clean && e.Status != verdict.Affected {
			errs = append(errs, fmt.Errorf("end %s: status %q, want clean or affected", e.Hash, e.Status))
		}
	}
	return errors.Join(errs...)
}

const stateFile = "state.json"

func (s *State) save() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(s.Dir, stateFile), append(b, '\n'))
}

// LoadState reads a state Run wrote.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := s.Valid(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// Step exit codes, as git bisect run reads them.
const (
	ExitGood = 0
	ExitBad  = 1
	ExitSkip = 125
)

// Classify maps a step's outcome to its exit code against the ends.
func (s *State) Classify(st verdict.Status) int {
	switch st {
	case s.Good.Status:
		return ExitGood
	case s.Bad.Status:
		return ExitBad
	}
	return ExitSkip
}

// Metrics are the numbers a step report shows for the cells' sum.
type Metrics struct {
	Requests     int     `json:"requests"`
	Failed       int     `json:"failed"`
	ToRemoved    int     `json:"to_removed"`    // answered by or sent to a removed pod
	SlowConnects int     `json:"slow_connects"` // connects >= 1 s: the SYN drop
	Timeouts     int     `json:"timeouts"`
	P99ms        float64 `json:"p99_ms"` // worst cell
	ConnectP99ms float64 `json:"connect_p99_ms"`
}

// MetricsOf sums a result's cells.
func MetricsOf(f *resultfile.File) Metrics {
	var m Metrics
	if f == nil {
		return m
	}
	for _, c := range f.Cells {
		r := c.Result
		if r == nil {
			continue
		}
		m.Requests += r.Counts.Requests
		m.Failed += r.Counts.Requests - r.Counts.Successes
		m.ToRemoved += r.Counts.ToTerminating
		m.SlowConnects += r.Counts.SlowConnects
		m.Timeouts += r.Counts.Errors[scenario.ErrTimeout]
		m.P99ms = max(m.P99ms, r.Total.P99)
		m.ConnectP99ms = max(m.ConnectP99ms, r.Connect.P99)
	}
	return m
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
