package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
	"github.com/rolloutlab/rolloutlab/wire"
)

// Cells side by side (RunCells with parallel > 1): each dataplane cell runs
// as the agent's CellCommand in a network namespace and a mount namespace
// of its own. The network namespace is the cell's node: IPVS, conntrack,
// iptables/nftables, ipsets and the net.* sysctls are all per namespace,
// as on a kind node. The mount namespace gives it its own /run/netns for
// its pods. The cell code is the serial path's, unchanged; it reports
// through wire messages on stdout, which the parent relays to the host.

// CellCommand is the agent subcommand that runs one cellJob.
const CellCommand = "cell"

// cellJob is what a worker gets on stdin.
type cellJob struct {
	Cell   scenario.Cell     `json:"cell"`
	Index  int               `json:"index"`  // the client address (clientIP)
	Retry  int               `json:"retry"`  // a retry's client address index
	Kernel string            `json:"kernel"` // uname -r
	Booted map[string]string `json:"booted"` // cellSysctls as the guest booted
}

// CellMain is CellCommand: a cellJob on stdin, wire lines on stdout; exit
// status 1 with the reason on stderr when the cell could not be measured.
func CellMain(args []string) int {
	em := newLineEmitter(os.Stdout)
	if err := cellMain(os.Stdin, em); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", CellCommand, err)
		return 1
	}
	return 0
}

func cellMain(in io.Reader, em *lineEmitter) error {
	var job cellJob
	if err := json.NewDecoder(in).Decode(&job); err != nil {
		return fmt.Errorf("job on stdin: %w", err)
	}
	if err := job.Cell.Validate(); err != nil {
		return fmt.Errorf("cell %s: %w", job.Cell.Name, err)
	}
	// Nothing mounted here may show in the parent's namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	if err := unix.Mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("own /run/netns: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	for name, v := range job.Booted {
		if err := node.SetSysctl(name, v); err != nil {
			em.Logf("cell %s: restore %s=%s: %v", job.Cell.Name, name, v, err)
		}
	}
	ctx := context.Background()
	run := func(ctx context.Context, attempt int) (*scenario.CellResult, []byte, error) {
		// the namespace is this process's own: new, unless a first attempt ran
		return runCell(ctx, job.Index+attempt, job.Cell, job.Kernel, self, attempt == 0, em)
	}
	res, records, err := measure(ctx, run, job.Cell.Name, job.Retry, em)
	if err != nil {
		return err
	}
	// No teardown after: the node namespace and its pods' mounts go with
	// this process.
	return report(job.Cell, res, records, em)
}

// runWorker runs job in a new network and mount namespace and relays what
// it reports to emit. It returns the worker's failure, if any.
func runWorker(ctx context.Context, self string, job cellJob, emit Emitter) error {
	in, err := json.Marshal(job)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, CellCommand)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	cmd.Stdin = bytes.NewReader(in)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", CellCommand, err)
	}
	relayErr := relay(out, emit)
	waitErr := cmd.Wait()
	if waitErr != nil {
		return fmt.Errorf("%w: %s", waitErr, strings.TrimSpace(stderr.String()))
	}
	return relayErr
}

// relay decodes a worker's wire lines and hands each to emit.
func relay(r io.Reader, emit Emitter) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var first error
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if e := relayLine(line, emit); e != nil && first == nil {
				first = e
			}
		}
		if errors.Is(err, io.EOF) {
			return first
		}
		if err != nil {
			return err
		}
	}
}

func relayLine(line []byte, emit Emitter) error {
	m, ok, err := wire.Decode(line)
	switch {
	case !ok:
		emit.Logf("cell worker: %s", bytes.TrimSpace(line))
		return nil
	case err != nil:
		return fmt.Errorf("cell worker sent an undecodable line: %w", err)
	}
	switch m.Kind {
	case wire.KindLog:
		emit.Logf("%s", m.Text)
	case wire.KindCellResult:
		return emit.CellResult(m.Cell)
	case wire.KindFile:
		return emit.File(m.File.Name, m.File.Data)
	default:
		return fmt.Errorf("cell worker sent a %s message", m.Kind)
	}
	return nil
}

// lineEmitter is a worker's Emitter: one framed wire line per message.
type lineEmitter struct{ lines *wire.LineWriter }

func newLineEmitter(w io.Writer) *lineEmitter { return &lineEmitter{lines: wire.NewLineWriter(w)} }

func (e *lineEmitter) Logf(format string, args ...any) {
	_ = e.lines.Write(wire.Log(fmt.Sprintf(format, args...)))
}
func (e *lineEmitter) CellResult(res *scenario.CellResult) error {
	return e.lines.Write(wire.CellDone(res))
}
func (e *lineEmitter) File(name string, data []byte) error {
	return e.lines.Write(wire.FileMsg(name, data))
}
