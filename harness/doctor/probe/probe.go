package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/doctor"
)

// ChildArgs are the arguments (after the binary) that make the binary run
// Child; the command layer routes them.
func ChildArgs(cells string) []string { return []string{"doctor", "probe-child", "--cells", cells} }

// ErrNotRoot is returned without root: the probe creates namespaces,
// loads IPVS modules and programs IPVS, all of which need it.
var ErrNotRoot = errors.New("--probe needs root: it creates network namespaces, may load the ip_vs and veth modules, and programs IPVS and netfilter inside them (run it with sudo; without --probe, doctor needs no root)")

// modulesNeeded are loaded up front so that the comparison can name them.
var modulesNeeded = []string{"ip_vs", "ip_vs_rr", "nf_conntrack", "veth", "dummy"}

// Result is the measurement and the host check.
type Result struct {
	Measurement doctor.Measurement
	Comparison  Comparison
	ChildErr    error // the child failed; the comparison still holds
}

// Run measures cells in a child in fresh namespaces and compares the
// host's namespace before and after. A cancelled ctx (Ctrl-C) interrupts
// the child, which tears down; it is killed after a grace period, and its
// namespaces die with it.
func Run(ctx context.Context, cells string, progress io.Writer) (*Result, error) {
	if !isRoot() {
		return nil, ErrNotRoot
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary: %w", err)
	}
	before := Take()
	for _, m := range modulesNeeded {
		if !loaded(m) {
			if out, err := exec.Command("modprobe", m).CombinedOutput(); err != nil {
				fmt.Fprintf(progress, "doctor: modprobe %s: %v %s\n", m, err, bytes.TrimSpace(out))
			}
		}
	}
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, self, ChildArgs(cells)...)
	cmd.Stdout, cmd.Stderr = &stdout, progress
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own network namespace: RunCells rewrites the one it runs in.
		// Its own mount namespace: `ip netns add` bind-mounts under /run/netns.
		// Its own PID namespace: when it dies, every pod server and load
		// generator it started dies too.
		Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID,
		Pdeathsig:  syscall.SIGKILL,
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	res := &Result{}
	if err := cmd.Run(); err != nil {
		res.ChildErr = fmt.Errorf("probe child: %w", err)
	}
	if err := json.Unmarshal(stdout.Bytes(), &res.Measurement); err != nil && res.ChildErr == nil {
		res.ChildErr = fmt.Errorf("probe child output: %w", err)
	}
	res.Comparison = Compare(before, Take())
	return res, nil
}
