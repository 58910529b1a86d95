package bisect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
)

// Record is one measured commit, a line of steps.jsonl.
type Record struct {
	commitInfo
	Role    string         `json:"role"` // "good end", "bad end", "step"
	Status  verdict.Status `json:"status"`
	Exit    int            `json:"exit"`
	Metrics Metrics        `json:"metrics"`
	Result  string         `json:"result,omitempty"` // result.json
	BuildS  float64        `json:"build_s"`
	WallS   float64        `json:"wall_s"`
	Error   string         `json:"error,omitempty"`
}

// Stepper builds the checked-out tree and measures the cells on it; the
// real one compiles and boots, tests pass fakes.
type Stepper interface {
	Build(ctx context.Context, s *State, log io.Writer) error
	Measure(ctx context.Context, s *State, outDir string) (f *resultfile.File, resultPath string, err error)
}

const stepsFile = "steps.jsonl"

// RunStep builds and measures the commit checked out in s.Tree, appends
// its record to steps.jsonl and returns it. A build or boot failure is a
// record with status error, not an error: the bisection skips the commit.
// When the ends are not yet known (measuring them), Exit is left 0.
func RunStep(ctx context.Context, s *State, role string, st Stepper, progress io.Writer) (*Record, error) {
	start := time.Now()
	c, err := describe(ctx, s.Tree, "HEAD")
	if err != nil {
		return nil, err
	}
	rec := &Record{commitInfo: c, Role: role, Status: verdict.Error}
	n, err := countLines(filepath.Join(s.Dir, stepsFile))
	if err != nil {
		return nil, err
	}
	stepDir := filepath.Join(s.Dir, "steps", fmt.Sprintf("%02d-%s", n+1, c.Hash[:12]))
	if err := os.MkdirAll(stepDir, 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "==> %s %s %q: build\n", role, c.Hash[:12], c.Subject)
	logFile, err := os.Create(filepath.Join(stepDir, "build.log"))
	if err != nil {
		return nil, err
	}
	berr := st.Build(ctx, s, logFile)
	logFile.Close()
	rec.BuildS = time.Since(start).Seconds()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if berr != nil {
		rec.Error = "build: " + berr.Error()
	} else {
		fmt.Fprintf(progress, "    built in %.0fs; measuring %s\n", rec.BuildS, s.Cells)
		f, path, merr := st.Measure(ctx, s, stepDir)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rec.Result, rec.Metrics, rec.Status = path, MetricsOf(f), f.Outcome()
		if merr != nil {
			rec.Error = merr.Error()
			if rec.Status != verdict.Affected { // a symptom seen is seen
				rec.Status = verdict.Error
			}
		}
	}
	rec.WallS = time.Since(start).Seconds()
	if role == RoleStep {
		rec.Exit = s.Classify(rec.Status)
	}
	m := rec.Metrics
	fmt.Fprintf(progress, "    %s: %d requests, %d failed, %d to removed pods, %d connects >= 1 s, p99 %.0f ms (%.0fs)%s\n",
		rec.Status, m.Requests, m.Failed, m.ToRemoved, m.SlowConnects, m.P99ms, rec.WallS, errSuffix(rec.Error))
	if err := appendRecord(filepath.Join(s.Dir, stepsFile), rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// Roles of a record.
const (
	RoleGood = "good end"
	RoleBad  = "bad end"
	RoleStep = "step"
)

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return "; " + e
}

func appendRecord(path string, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadRecords reads steps.jsonl in order.
func ReadRecords(dir string) ([]Record, error) {
	b, err := os.ReadFile(filepath.Join(dir, stepsFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Record
	for i, line := range splitLines(b) {
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", stepsFile, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func countLines(path string) (int, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	return len(splitLines(b)), err
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	return out
}
