package run

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/qemu"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

// BootOptions control one guest.
type BootOptions struct {
	OutDir      string // console.log, control.log, initrd live here; required
	Interactive bool   // console on stdio (shell)
	BootTimeout time.Duration
	Timeout     time.Duration // whole run; 0 = boot timeout + 10 min scaled
	Cmdline     string        // extra kernel options
	DryRun      io.Writer     // print the QEMU command line here before running
	// Root, when set, boots onto a disk root (see DiskRoot).
	Root *DiskRoot
	// Initrd, when set, is booted as is instead of the guest image, its
	// modules and the request: the boot benchmark's floor (FloorInitrd).
	Initrd string
}

// Result is what one boot produced.
type Result struct {
	Facts wire.Facts
	Exec  *wire.ExecResult
	// Cells in the order the guest finished them.
	Cells  []*scenario.CellResult
	Files  map[string][]byte
	Logs   []string // the guest's progress lines, in order
	Errors []wire.GuestError
	// Undecodable are framed control lines the host could not read.
	Undecodable []*wire.DecodeError
	Outcome     *qemu.Outcome
	ConsoleLog  string
	Accel       qemu.Accel
}

// GuestFailed wraps the first typed error the agent reported.
type GuestFailed struct{ Err wire.GuestError }

func (e *GuestFailed) Error() string { return e.Err.Error() }

// ProtocolError says host and guest lost track of each other on the wire:
// control lines the host could not decode, or cells a cleanly finished
// guest never reported. Either is a harness fault.
type ProtocolError struct {
	Lines   []*wire.DecodeError
	Missing []string // cell names
}

func (e *ProtocolError) Error() string {
	var parts []string
	if len(e.Lines) > 0 {
		parts = append(parts, fmt.Sprintf("%d control line(s) could not be decoded; first: %v", len(e.Lines), e.Lines[0]))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, "the guest finished without reporting cell(s) "+strings.Join(e.Missing, ", "))
	}
	return "harness error: " + strings.Join(parts, "; ")
}

// Boot runs req in a fresh guest.
func (env *Env) Boot(ctx context.Context, req wire.Request, o BootOptions) (_ *Result, err error) {
	if o.OutDir == "" {
		return nil, fmt.Errorf("boot needs an output directory")
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, &qemu.InfraError{Op: "create output dir", Err: err}
	}
	modulesArchive := env.Kernel.ModulesArchive
	if o.Root != nil {
		if modulesArchive, err = env.prepareRoot(ctx, &req, o); err != nil {
			return nil, err
		}
		defer o.Root.cleanup()
	}
	if len(req.Modules) == 0 {
		req.Modules = env.Kernel.Modules
	}
	t := qemu.TimeoutsFor(env.Accel)
	if o.BootTimeout == 0 {
		o.BootTimeout = time.Duration(t.Boot * float64(time.Second))
	}
	if o.Timeout == 0 {
		o.Timeout = o.BootTimeout + time.Duration(t.Scale*float64(10*time.Minute))
	}
	if o.Interactive {
		o.BootTimeout, o.Timeout = 0, 0 // a person is at the console
	}
	if req.Deadline == 0 && o.Timeout > 0 {
		// The agent gives up a little before the host watchdog would, so a
		// slow scenario is reported as a timeout with partial results.
		req.Deadline = scenario.Duration(o.Timeout - o.BootTimeout/2)
	}
	if err := req.Valid(); err != nil {
		return nil, &qemu.InfraError{Op: "check request", Err: err}
	}
	initrd := o.Initrd
	if initrd == "" {
		if initrd, err = env.writeInitrd(req, o.OutDir, modulesArchive); err != nil {
			return nil, &qemu.InfraError{Op: "assemble initrd", Err: err}
		}
		// The initrd is the cached image, modules and request concatenated:
		// 10+ MB that the result's hashes already name. Keep logs, not it.
		defer os.Remove(initrd)
	}
	cmdline := qemu.DefaultCmdline
	if o.Cmdline != "" {
		cmdline += " " + o.Cmdline
	}
	cfg := qemu.Config{
		Binary: env.QEMUBinary, Accel: env.Accel, CPUs: env.CPUs, MemoryMiB: env.MemoryMiB,
		Kernel: env.kernelPath(), Initrd: initrd, Cmdline: cmdline,
		ConsoleLog: filepath.Join(o.OutDir, "console.log"), ControlLog: filepath.Join(o.OutDir, "control.log"),
		Interactive: o.Interactive,
	}
	if o.Root != nil {
		cfg.Drives = o.Root.drives()
	}
	if o.DryRun != nil {
		args, err := qemu.Args(cfg)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(o.DryRun, qemu.CommandLine(cfg.Binary, args))
	}
	res := &Result{Files: map[string][]byte{}, ConsoleLog: cfg.ConsoleLog, Accel: env.Accel}
	out, runErr := env.vm().Run(ctx, cfg, qemu.Watch{
		BootTimeout: o.BootTimeout, Timeout: o.Timeout,
		OnMessage: func(m wire.Message) { env.collect(res, m) },
		OnUndecodable: func(e *wire.DecodeError) {
			res.Undecodable = append(res.Undecodable, e)
			fmt.Fprintf(env.progress, "    harness error: %v\n", e)
		},
	})
	res.Outcome = out
	if runErr != nil {
		return res, runErr
	}
	// Both are reported: what the guest said went wrong, and that the host
	// could not read some of it (the harness's fault, so it decides the status).
	var errs []error
	if len(res.Undecodable) > 0 {
		errs = append(errs, &ProtocolError{Lines: res.Undecodable})
	}
	if len(res.Errors) > 0 {
		errs = append(errs, &GuestFailed{Err: res.Errors[0]})
	}
	return res, errors.Join(errs...)
}

// collect files each control message into the result as it arrives; the
// message was checked against its kind by wire.Decode.
func (env *Env) collect(res *Result, m wire.Message) {
	switch m.Kind {
	case wire.KindHello:
		res.Facts = *m.Hello
		fmt.Fprintf(env.progress, "    guest up: kernel %s, %s, agent after %s\n", res.Facts.KernelRelease, res.Facts.Clocksource, time.Duration(res.Facts.BootToAgent).Round(time.Millisecond))
	case wire.KindLog:
		res.Logs = append(res.Logs, m.Text)
		fmt.Fprintf(env.progress, "    guest: %s\n", m.Text)
	case wire.KindExecResult:
		res.Exec = m.Exec
	case wire.KindCellResult:
		res.Cells = append(res.Cells, m.Cell)
	case wire.KindFile:
		res.Files[m.File.Name] = m.File.Data
	case wire.KindError:
		res.Errors = append(res.Errors, *m.Error)
		fmt.Fprintf(env.progress, "    guest error: %s\n", m.Error.Error())
	}
}

// writeInitrd concatenates base image + kernel modules + request, which
// Linux unpacks in order into one rootfs.
func (env *Env) writeInitrd(req wire.Request, dir, modulesArchive string) (string, error) {
	reqJSON, err := wire.EncodeRequest(req)
	if err != nil {
		return "", err
	}
	reqArchive, err := image.RequestArchive(map[string][]byte{wire.RequestPath: reqJSON})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "initrd.img")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var off int64
	for _, part := range append([]string{env.Image.Path, modulesArchive}, env.Extra...) {
		if part == "" {
			continue
		}
		src, err := os.Open(part)
		if err != nil {
			return "", err
		}
		n, err := io.Copy(f, src)
		src.Close()
		if err != nil {
			return "", fmt.Errorf("copy %s: %w", part, err)
		}
		off += n
	}
	// The kernel only recognises an uncompressed cpio header at a 4-byte
	// aligned offset; it skips the zero padding between archives.
	if pad := (4 - off%4) % 4; pad > 0 {
		if _, err := f.Write(make([]byte, pad)); err != nil {
			return "", err
		}
	}
	if _, err := f.Write(reqArchive); err != nil {
		return "", err
	}
	return path, f.Close()
}

func hashString(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:8] }
