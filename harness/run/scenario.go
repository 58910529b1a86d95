package run

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
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
	cells = withDefaults(cells)
	f := &resultfile.File{
		Tier:      tierOf(cells),
		StartedAt: time.Now().UTC(),
		Kernel:    env.KernelInfo(),
		Image:     resultfile.ImageInfo{SHA256: env.Image.SHA256, Key: env.Image.Key, File: filepath.Base(env.Image.Path)},
		QEMU:      resultfile.QEMUInfo{Version: env.QEMUVersion, Accel: string(env.Accel), AccelReason: env.AccelReason, CPUs: env.CPUs, MemoryMiB: env.MemoryMiB, CPUModel: qemu.CPUModel(env.Accel), Boot: env.bootProtocol()},
		Host:      resultfile.Host(),
	}
	if root, err := ModuleRoot(); err == nil {
		f.Harness = resultfile.Harness(root)
	}
	// Each cell runs ~20-40 s under TCG; give the whole boot room for all.
	t := qemu.TimeoutsFor(env.Accel)
	perCell := time.Duration(t.Scale * float64(60*time.Second))
	req := wire.Request{Mode: wire.ModeScenario, Cells: cells}
	if env.ParallelCells > 1 {
		req.ParallelCells, f.ParallelCells = env.ParallelCells, env.ParallelCells
	}
	opts := BootOptions{
		OutDir: filepath.Join(outDir, "boot"),
		Timeout: time.Duration(t.Boot*float64(time.Second)) + perCell*time.Duration(len(cells)+1) +
			time.Duration(t.Scale*float64(controlPlaneAllowance(cells)+kindAllowance(cells))),
	}
	if modes := kindModes(cells); len(modes) > 0 {
		if env.Kind == nil {
			return nil, "", fmt.Errorf("kind tier cells need the kind assets (env.ForCells)")
		}
		root, err := env.KindRoot(env.Kind, modes, opts.OutDir)
		if err != nil {
			return nil, "", fmt.Errorf("kind tier: %w", err)
		}
		spec := env.KindSpec(env.Kind, modes, env.KindKeep)
		req.Kind, opts.Root = &spec, root
		// PSI on: a kind cell records what its load waited for (CPU,
		// memory, IO); Debian's kernels build it in but leave it off.
		opts.Cmdline = "psi=1"
		f.Kind = &resultfile.KindInfo{NodeImage: env.Kind.Node.Tags[0], NodeImageSHA256: env.Kind.Node.SHA256,
			AppImage: env.Kind.App.Ref, EngineRoot: env.Kind.EngineRoot.Key, Policy: string(env.Kind.Policy)}
	}
	res, bootErr := env.Boot(ctx, req, opts)
	f.WallSec = time.Since(f.StartedAt).Seconds()
	files := map[string][]byte{}
	if res != nil {
		f.Facts = res.Facts
		f.Cells = collectCells(cells, res)
		for name, data := range res.Files {
			files[name] = data
		}
	}
	if bootErr == nil {
		bootErr = unexplainedMissing(cells, res)
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
	if len(k.Entry.UserPatches) > 0 && k.Meta != nil {
		// A patched kernel claims nothing: its fixes are what the build read.
		info.Fixes = k.Meta.Fixes
	}
	for _, p := range k.Entry.UserPatches {
		info.Patches = append(info.Patches, p.Name+" "+p.SHA256)
	}
	return info
}

func withDefaults(cells []scenario.Cell) []scenario.Cell {
	out := make([]scenario.Cell, len(cells))
	for i, c := range cells {
		out[i] = c.WithDefaults()
	}
	return out
}

// collectCells pairs the requested cells with what the guest sent, in the
// order asked. A cell the guest never reported is an error cell, not a
// missing row; a result for a cell nobody asked for (or a second one) is
// kept as an error cell too, so nothing the guest sent disappears.
func collectCells(asked []scenario.Cell, res *Result) []resultfile.Cell {
	got := map[string]*scenario.CellResult{}
	var extra []resultfile.Cell
	askedName := map[string]bool{}
	for _, a := range asked {
		askedName[a.Name] = true
	}
	for _, cr := range res.Cells {
		name := cr.Cell.Name
		switch {
		case !askedName[name]:
			extra = append(extra, errorCell(name, "harness error: the guest reported a cell that was not asked for"))
		case got[name] != nil:
			extra = append(extra, errorCell(name, "harness error: the guest reported this cell twice; the first result is kept"))
		default:
			got[name] = cr
		}
	}
	var out []resultfile.Cell
	for _, a := range asked {
		cr := got[a.Name]
		if cr == nil {
			out = append(out, errorCell(a.Name, missingCellReason(res, a.Name)))
			continue
		}
		c := resultfile.Cell{Name: a.Name, Result: cr, Verdict: verdict.Judge(cr)}
		if rec := a.Name + ".records.jsonl.gz"; res.Files[rec] != nil {
			c.Records = rec
		}
		out = append(out, c)
	}
	return append(out, extra...)
}

// unexplainedMissing is a harness error for a guest that finished cleanly
// yet left cells unreported: host and guest lost track of each other.
func unexplainedMissing(asked []scenario.Cell, res *Result) error {
	if res == nil {
		return nil
	}
	have := map[string]bool{}
	for _, cr := range res.Cells {
		have[cr.Cell.Name] = true
	}
	var missing []string
	for _, a := range asked {
		if !have[a.Name] {
			missing = append(missing, a.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &ProtocolError{Missing: missing}
}

func errorCell(name, msg string) resultfile.Cell {
	return resultfile.Cell{Name: name, Verdict: verdict.Verdict{Status: verdict.Error, Reasons: []string{msg}}, Error: msg}
}

// missingCellReason says why cell has no result, with everything the
// guest or the wire reported; of the runner's joined per-cell failures only
// cell's own.
func missingCellReason(res *Result, cell string) string {
	msg := "the guest reported no result for this cell"
	for _, ge := range res.Errors {
		msg += "; " + ownFailures(ge.Error(), cell)
	}
	for _, de := range res.Undecodable {
		msg += "; harness error: " + de.Error()
	}
	return msg
}

// ownFailures keeps, of a joined error ("...: 2 errors occurred:\n\t* cell
// a: ...\n\t* cell b: ..."), the head and the entries of cell; a message
// with no entry for cell stays whole.
func ownFailures(msg, cell string) string {
	parts := strings.Split(strings.TrimRight(msg, "\n"), "\n\t* ")
	if len(parts) < 2 {
		return msg
	}
	var own []string
	for _, p := range parts[1:] {
		if strings.HasPrefix(p, "cell "+cell+": ") {
			own = append(own, strings.TrimRight(p, "\n"))
		}
	}
	if len(own) == 0 {
		return msg
	}
	head := regexp.MustCompile(`\d+ errors? occurred:$`).ReplaceAllString(parts[0], "")
	return head + strings.Join(own, "; ")
}

func statusOf(err error) (resultfile.RunStatus, string) {
	if err == nil {
		return resultfile.StatusOK, ""
	}
	var be *qemu.BootError
	var he *qemu.HangError
	var gf *GuestFailed
	var pe *ProtocolError
	switch {
	case errors.As(err, &be), errors.As(err, &he):
		return resultfile.StatusBootError, err.Error()
	case errors.As(err, &pe):
		return resultfile.StatusInfraError, err.Error()
	case errors.As(err, &gf):
		if gf.Err.Kind == wire.ErrKernel {
			return resultfile.StatusBootError, err.Error()
		}
		return resultfile.StatusGuestError, err.Error()
	default:
		return resultfile.StatusInfraError, err.Error()
	}
}
