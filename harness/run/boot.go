package run

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/qemu"
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
}

// Result is what one boot produced.
type Result struct {
	Facts      wire.Facts
	Exec       *wire.ExecResult
	Cells      []CellMessage
	Files      map[string][]byte
	Errors     []wire.GuestError
	Outcome    *qemu.Outcome
	ConsoleLog string
	Accel      qemu.Accel
}

// CellMessage is one scenario cell result as the agent sent it.
type CellMessage struct {
	Name   string
	Result json.RawMessage
}

// GuestFailed wraps the first typed error the agent reported.
type GuestFailed struct{ Err wire.GuestError }

func (e *GuestFailed) Error() string { return e.Err.Error() }

// Boot runs req in a fresh guest.
func (env *Env) Boot(ctx context.Context, req wire.Request, o BootOptions) (*Result, error) {
	if o.OutDir == "" {
		return nil, fmt.Errorf("boot needs an output directory")
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, &qemu.InfraError{Op: "create output dir", Err: err}
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
		req.Deadline = wire.Duration(o.Timeout - o.BootTimeout/2)
	}
	initrd, err := env.writeInitrd(req, o.OutDir)
	if err != nil {
		return nil, &qemu.InfraError{Op: "assemble initrd", Err: err}
	}
	cmdline := qemu.DefaultCmdline
	if o.Cmdline != "" {
		cmdline += " " + o.Cmdline
	}
	cfg := qemu.Config{
		Binary: env.QEMUBinary, Accel: env.Accel, CPUs: env.CPUs, MemoryMiB: env.MemoryMiB,
		Kernel: env.Kernel.Vmlinuz, Initrd: initrd, Cmdline: cmdline,
		ConsoleLog: filepath.Join(o.OutDir, "console.log"), ControlLog: filepath.Join(o.OutDir, "control.log"),
		Interactive: o.Interactive,
	}
	if o.DryRun != nil {
		args, err := qemu.Args(cfg)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(o.DryRun, qemu.CommandLine(cfg.Binary, args))
	}
	res := &Result{Files: map[string][]byte{}, ConsoleLog: cfg.ConsoleLog, Accel: env.Accel}
	out, runErr := qemu.Run(ctx, cfg, qemu.Watch{
		BootTimeout: o.BootTimeout, Timeout: o.Timeout,
		OnMessage: func(m wire.Message) { env.collect(res, m) },
	})
	res.Outcome = out
	// The initrd is the cached image, modules and request concatenated:
	// 10+ MB that the result's hashes already name. Keep logs, not it.
	os.Remove(initrd)
	if runErr != nil {
		return res, runErr
	}
	if len(res.Errors) > 0 {
		return res, &GuestFailed{Err: res.Errors[0]}
	}
	return res, nil
}

// collect files each control message into the result as it arrives.
func (env *Env) collect(res *Result, m wire.Message) {
	var err error
	switch m.Kind {
	case wire.KindHello:
		err = json.Unmarshal(m.Data, &res.Facts)
		fmt.Fprintf(env.progress, "    guest up: kernel %s, %s, agent after %s\n", res.Facts.KernelRelease, res.Facts.Clocksource, time.Duration(res.Facts.BootToAgent).Round(time.Millisecond))
	case wire.KindLog:
		fmt.Fprintf(env.progress, "    guest: %s\n", m.Text)
	case wire.KindExecResult:
		res.Exec = &wire.ExecResult{}
		err = json.Unmarshal(m.Data, res.Exec)
	case wire.KindCellResult:
		res.Cells = append(res.Cells, CellMessage{Name: m.Name, Result: m.Data})
	case wire.KindFile:
		var b []byte
		if err = json.Unmarshal(m.Data, &b); err == nil {
			res.Files[m.Name] = b
		}
	case wire.KindError:
		var ge wire.GuestError
		if err = json.Unmarshal(m.Data, &ge); err == nil {
			res.Errors = append(res.Errors, ge)
			fmt.Fprintf(env.progress, "    guest error: %s\n", ge.Error())
		}
	}
	if err != nil {
		res.Errors = append(res.Errors, wire.GuestError{Kind: wire.ErrHarness, Op: "decode " + string(m.Kind), Message: err.Error()})
	}
}

// writeInitrd concatenates base image + kernel modules + request, which
// Linux unpacks in order into one rootfs.
func (env *Env) writeInitrd(req wire.Request, dir string) (string, error) {
	reqJSON, err := json.Marshal(req)
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
	for _, part := range append([]string{env.Image.Path, env.Kernel.ModulesArchive}, env.Extra...) {
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
