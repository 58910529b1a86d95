// Package runner runs scenario cells inside the guest: for each cell a fresh
// node, the proxy mode, the initial pods, load, a rolling update, and the
// result plus raw records handed to the agent's Emitter.
package runner

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"
	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/kindtier"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
	"github.com/rolloutlab/rolloutlab/wire"
)

// Emitter is how results leave the guest (the agent frames them on ttyS1).
type Emitter interface {
	Logf(format string, args ...any)
	CellResult(res *scenario.CellResult) error
	File(name string, data []byte) error
}

// Options say how RunCells runs its cells.
type Options struct {
	// Kind is the kind tier's images and waits (nil when no cell is kind's).
	Kind *wire.KindSpec
	// Parallel > 1 runs up to that many dataplane tier cells side by side,
	// each on a node namespace of its own (worker.go), after the other
	// tiers' cells have run one by one.
	Parallel int
	// FreshNode says the network namespace is as the kernel booted it and
	// is thrown away after the last cell (the guest powers off): nothing
	// to tear down before the first cell or after the last.
	FreshNode bool
}

// RunCells runs cells (defaulted and validated with the request, see
// wire.Request.Valid) one after another. A failing cell is reported and the
// others still run; the returned error joins the failures.
func RunCells(ctx context.Context, list []scenario.Cell, o Options, emit Emitter) error {
	kind, parallel := o.Kind, o.Parallel
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	kernel, err := kernelRelease()
	if err != nil {
		return err
	}
	// The IPVS sysctls as booted. Every cell starts from them: a value a
	// cell (or its kube-proxy) wrote must not leak into the next, whose
	// "kernel default" or "left as-is" would otherwise read it.
	booted := node.ReadSysctls(nil, cellSysctls...)
	var errs *multierror.Error
	var images *kindtier.Images // loaded once, by the first kind cell
	if kind != nil {
		images = &kindtier.Images{Spec: *kind, Logf: emit.Logf}
	}
	var side []int     // indexes of the cells that run side by side
	ranSerial := false // a cell (of any tier) ran in this namespace
	for i, c := range list {
		if ctx.Err() != nil {
			errs = multierror.Append(errs, ctx.Err())
			break
		}
		if parallel > 1 && c.Tier == scenario.TierDataplane {
			side = append(side, i)
			continue
		}
		emit.Logf("cell %s: start (%s)", c.Name, c.ProxyMode)
		for name, v := range booted {
			if err := node.SetSysctl(name, v); err != nil {
				emit.Logf("cell %s: restore %s=%s: %v", c.Name, name, v, err)
			}
		}
		clean := o.FreshNode && !ranSerial
		ranSerial = true
		run := func(ctx context.Context, attempt int) (*scenario.CellResult, []byte, error) {
			return runCell(ctx, i+attempt, c, kernel, self, clean && attempt == 0, emit)
		}
		var session *kindtier.Session
		if c.Tier == scenario.TierKind {
			if kind == nil {
				errs = multierror.Append(errs, fmt.Errorf("cell %s: kind tier cell without a kind spec", c.Name))
				continue
			}
			// one cluster per cell; a retry measures on it again
			s, err := kindtier.Start(ctx, c, kernel, *kind, images, emit)
			if err != nil {
				errs = multierror.Append(errs, fmt.Errorf("cell %s: %w", c.Name, err))
				emit.Logf("cell %s: failed: %v", c.Name, err)
				continue
			}
			session, run = s, s.Measure
		}
		// A retry's client address is past every first attempt's.
		res, records, err := measure(ctx, run, c.Name, len(list), emit)
		if session != nil {
			session.Close(ctx, res)
		}
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("cell %s: %w", c.Name, err))
			emit.Logf("cell %s: failed: %v", c.Name, err)
			continue
		}
		if err := report(c, res, records, emit); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	if len(side) > 0 && ctx.Err() == nil {
		errs = multierror.Append(errs, runSideBySide(ctx, list, side, parallel, kernel, self, booted, emit))
	}
	if !o.FreshNode {
		if err := node.Teardown(); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("final teardown: %w", err))
		}
	}
	return errs.ErrorOrNil()
}

// report sends a measured cell's result and raw records, and a summary line.
func report(c scenario.Cell, res *scenario.CellResult, records []byte, emit Emitter) error {
	var errs *multierror.Error
	if err := emit.CellResult(res); err != nil {
		errs = multierror.Append(errs, fmt.Errorf("cell %s: emit result: %w", c.Name, err))
	}
	if gz, err := gzipBytes(records); err != nil {
		errs = multierror.Append(errs, fmt.Errorf("cell %s: compress records: %w", c.Name, err))
	} else if err := emit.File(c.Name+".records.jsonl.gz", gz); err != nil {
		errs = multierror.Append(errs, fmt.Errorf("cell %s: emit records: %w", c.Name, err))
	}
	emit.Logf("cell %s: %d requests, %d ok, errors %v, >1s %d, to-terminating %d, p99 %.1f ms",
		c.Name, res.Counts.Requests, res.Counts.Successes, res.Counts.Errors, res.Counts.Over1s,
		res.Counts.ToTerminating, res.Total.P99)
	return errs.ErrorOrNil()
}

// runSideBySide runs list[side...] as workers, at most parallel at once, in
// list order; a failed cell is reported and the others still run.
func runSideBySide(ctx context.Context, list []scenario.Cell, side []int, parallel int, kernel, self string, booted map[string]string, emit Emitter) error {
	var (
		mu   sync.Mutex
		errs *multierror.Error
		wg   sync.WaitGroup
	)
	slots := make(chan struct{}, parallel)
	for _, i := range side {
		c := list[i]
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			mu.Lock()
			errs = multierror.Append(errs, ctx.Err())
			mu.Unlock()
			wg.Wait()
			return errs.ErrorOrNil()
		}
		emit.Logf("cell %s: start (%s, on a node namespace of its own, up to %d side by side)", c.Name, c.ProxyMode, parallel)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			job := cellJob{Cell: c, Index: i, Retry: len(list), Kernel: kernel, Booted: booted}
			if err := runWorker(ctx, self, job, emit); err != nil {
				emit.Logf("cell %s: failed: %v", c.Name, err)
				mu.Lock()
				errs = multierror.Append(errs, fmt.Errorf("cell %s: %w", c.Name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs.ErrorOrNil()
}

func kernelRelease() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	return strings.TrimRight(string(u.Release[:]), "\x00"), nil
}

// cellSysctls are what proxy modes and kube-proxy write per cell.
var cellSysctls = []string{
	"net/ipv4/vs/conn_reuse_mode", "net/ipv4/vs/expire_nodest_conn",
	"net/ipv4/vs/expire_quiescent_template", "net/ipv4/vs/conntrack",
}

// clientIP gives every cell its own client address, so no 4-tuple of an
// earlier cell can meet IPVS or conntrack entries that are still alive.
func clientIP(cell int) net.IP {
	return net.IPv4(10, 244, 1, byte(10+cell%200)).To4()
}
