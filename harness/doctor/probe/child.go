package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/harness/doctor"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/runner"
)

// Child runs inside the namespaces Run made: it makes its mounts private,
// puts tmpfs over /run (ip netns's bind mounts, the xtables lock) and /tmp
// (the runner's record files), runs the cells and writes the judged cells
// as JSON to out.
func Child(ctx context.Context, cells string, out, log io.Writer) error {
	if err := isolateMounts(); err != nil {
		return err
	}
	list, err := scenario.ParseSpecs(cells)
	if err != nil {
		return err
	}
	em := &emitter{log: log}
	runErr := runner.RunCells(ctx, list, runner.Options{Parallel: 1}, em)
	m := doctor.Measurement{}
	for _, c := range list {
		if r := em.results[c.Name]; r != nil {
			m.Cells = append(m.Cells, measured(r))
		}
	}
	if err := json.NewEncoder(out).Encode(m); err != nil {
		return fmt.Errorf("write measurement: %w", err)
	}
	return runErr
}

func isolateMounts() error {
	// Without this, mounts below would propagate to the host's shared /.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	// A procfs of this PID namespace: netlink and netns find the current
	// thread's namespace as /proc/<getpid>/task/<gettid>, which the host's
	// procfs numbers differently.
	if err := unix.Mount("proc", "/proc", "proc", 0, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	self, _ := os.Executable()
	for _, d := range []string{"/run", "/tmp"} {
		if strings.HasPrefix(self, d+"/") {
			continue // the runner re-executes this binary: keep it visible
		}
		if err := unix.Mount("tmpfs", d, "tmpfs", 0, "mode=0755"); err != nil {
			return fmt.Errorf("tmpfs on %s: %w", d, err)
		}
	}
	for _, d := range []string{"/run/netns", "/run/xtables"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

func measured(r *scenario.CellResult) doctor.MeasuredCell {
	reuse := r.Effective.Sysctls[doctor.SysctlConnReuse]
	if reuse == "" {
		reuse = r.Cell.ConnReuseMode
	}
	nodest := r.Effective.Sysctls[doctor.SysctlExpireNodest]
	if nodest == "" && r.Cell.ExpireNodestConn != nil {
		nodest = fmt.Sprint(*r.Cell.ExpireNodestConn)
	}
	return doctor.MeasuredCell{Name: r.Cell.Name, ConnReuse: reuse, Nodest: nodest,
		Requests: r.Counts.Requests, Verdict: verdict.Judge(r)}
}

// emitter keeps results in memory and logs to stderr; records are dropped.
type emitter struct {
	log     io.Writer
	mu      sync.Mutex
	results map[string]*scenario.CellResult
}

func (e *emitter) Logf(f string, a ...any) { fmt.Fprintf(e.log, "probe: "+f+"\n", a...) }

func (e *emitter) CellResult(r *scenario.CellResult) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.results == nil {
		e.results = map[string]*scenario.CellResult{}
	}
	e.results[r.Cell.Name] = r
	return nil
}

func (e *emitter) File(string, []byte) error { return nil }
