package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/qemu"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

// Scenario boots one guest that runs cells in order and writes the result
// directory (result.json + raw records) under outDir. The result file is
// written whatever happened, with a status saying whose fault a failure is;
// cells that finished before a crash keep their numbers.
func (env *Env) Scenario(ctx context.Context, cells []scenario.Cell, outDir string) (*resultfile.File, string, error) {
	cellsJSON, err := json.Marshal(cells)
	if err != nil {
		return nil, "", err
	}
	f := &resultfile.File{
		Tier:      tierOf(cells),
		StartedAt: time.Now().UTC(),
		Kernel:    env.KernelInfo(),
		Image:     resultfile.ImageInfo{SHA256: env.Image.SHA256, Key: env.Image.Key},
		QEMU:      resultfile.QEMUInfo{Version: env.QEMUVersion, Accel: string(env.Accel), AccelReason: env.AccelReason, CPUs: env.CPUs, MemoryMiB: env.MemoryMiB},
		Host:      resultfile.Host(),
	}
	if root, err := ModuleRoot(); err == nil {
		f.Harness = resultfile.Harness(root)
	}
	// Each cell runs ~20-40 s under TCG; give the whole boot room for all.
	t := qemu.TimeoutsFor(env.Accel)
	perCell := time.Duration(t.Scale * float64(60*time.Second))
	res, bootErr := env.Boot(ctx, wire.Request{Mode: wire.ModeScenario, Cells: cellsJSON}, BootOptions{
		OutDir: filepath.Join(outDir, "boot"),
		Timeout: time.Duration(t.Boot*float64(time.Second)) + perCell*time.Duration(len(cells)+1) +
			time.Duration(t.Scale*float64(controlPlaneAllowance(cells))),
	})
	f.WallSec = time.Since(f.StartedAt).Seconds()
	files := map[string][]byte{}
	if res != nil {
		f.Facts = res.Facts
		f.Cells = collectCells(cells, res)
		for name, data := range res.Files {
			files[name] = data
		}
	}
	f.Status, f.Error = statusOf(bootErr)
	path, werr := resultfile.Write(outDir, f, files)
	if werr != nil {
		return f, "", errors.Join(bootErr, werr)
	}
	return f, path, bootErr
}

// KernelInfo is the provenance recorded in every result.
func (env *Env) KernelInfo() resultfile.KernelInfo {
	k := env.Kernel
	info := resultfile.KernelInfo{
		Name: k.Entry.Name, Release: k.Entry.Release, UnameR: k.UnameR, Source: k.Entry.Source,
		VmlinuzSHA256: k.VmlinuzSHA256, Fixes: k.Entry.Fixes, FixesSource: k.Entry.FixesSource,
	}
	for _, p := range k.Entry.Packages {
		info.Packages = append(info.Packages, fmt.Sprintf("%s %s %s", p.Package, p.Version, p.SHA256))
	}
	return info
}

// collectCells pairs the requested cells with what the guest sent; a cell
// the guest never reported is an error cell, not a missing row.
func collectCells(asked []scenario.Cell, res *Result) []resultfile.Cell {
	got := map[string]*scenario.CellResult{}
	var order []string
	for _, m := range res.Cells {
		var cr scenario.CellResult
		if err := json.Unmarshal(m.Result, &cr); err != nil {
			continue
		}
		got[m.Name] = &cr
		order = append(order, m.Name)
	}
	var out []resultfile.Cell
	seen := map[string]bool{}
	for _, name := range order {
		seen[name] = true
		c := resultfile.Cell{Name: name, Result: got[name], Verdict: verdict.Judge(got[name])}
		if rec := name + ".records.jsonl.gz"; res.Files[rec] != nil {
			c.Records = rec
		}
		out = append(out, c)
	}
	for _, a := range asked {
		name := a.WithDefaults().Name
		if !seen[name] {
			msg := "the guest reported no result for this cell"
			for _, ge := range res.Errors {
				msg += "; " + ge.Error()
			}
			out = append(out, resultfile.Cell{Name: name, Verdict: verdict.Verdict{Status: verdict.Error, Reasons: []string{msg}}, Error: msg})
		}
	}
	return out
}

func statusOf(err error) (resultfile.RunStatus, string) {
	if err == nil {
		return resultfile.StatusOK, ""
	}
	var be *qemu.BootError
	var he *qemu.HangError
	var gf *GuestFailed
	switch {
	case errors.As(err, &be), errors.As(err, &he):
		return resultfile.StatusBootError, err.Error()
	case errors.As(err, &gf):
		if gf.Err.Kind == wire.ErrKernel {
			return resultfile.StatusBootError, err.Error()
		}
		return resultfile.StatusGuestError, err.Error()
	default:
		return resultfile.StatusInfraError, err.Error()
	}
}
