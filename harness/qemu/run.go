package qemu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/rolloutlab/rolloutlab/wire"
)

// Watch bounds a guest's run and receives its control messages.
type Watch struct {
	BootTimeout time.Duration // until the agent's hello
	Timeout     time.Duration // whole run
	OnMessage   func(wire.Message)
	// OnUndecodable gets every framed line that is not a valid message:
	// the caller records it as a harness error instead of losing it.
	OnUndecodable func(*wire.DecodeError)
}

// Outcome is what a guest run produced, whatever the verdict.
type Outcome struct {
	Messages []wire.Message
	Hello    *wire.Message
	Done     bool
	Wall     time.Duration
	// BootToHello is host-measured: QEMU start until the hello message.
	BootToHello time.Duration
}

// panicMarkers are console lines that mean the kernel is dead or dying.
var panicMarkers = []string{"Kernel panic - not syncing", "BUG: kernel NULL pointer", "Oops: ", "general protection fault"}

// Run starts QEMU for cfg and supervises it until the guest powers off,
// the watchdog fires or ctx ends. QEMU never outlives Run: it is killed on
// every return path and also dies with the harness (Pdeathsig).
func Run(ctx context.Context, cfg Config, w Watch) (*Outcome, error) {
	args, err := Args(cfg)
	if err != nil {
		return nil, &InfraError{Op: "build QEMU arguments", Err: err}
	}
	bin := cfg.Binary
	if bin == "" {
		bin = "qemu-system-x86_64"
	}
	if _, err := exec.LookPath(bin); err != nil {
		return nil, &InfraError{Op: "find QEMU", Err: fmt.Errorf("%s not found; install it with: sudo apt-get install -y --no-install-recommends qemu-system-x86 (%w)", bin, err)}
	}
	for _, p := range []string{cfg.ConsoleLog, cfg.ControlLog} {
		if p != "" {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				return nil, &InfraError{Op: "create log file", Err: err}
			}
		}
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if cfg.Interactive {
		cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
		cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	} else {
		// Own process group: a terminal Ctrl-C reaches the harness, which
		// then stops QEMU itself and cleans up in order.
		cmd.SysProcAttr.Setpgid = true
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, &InfraError{Op: "start QEMU", Err: err}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	kill := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	out := &Outcome{}
	ctl := &tail{path: cfg.ControlLog}
	con := &tail{path: cfg.ConsoleLog, keep: 64 * 1024}
	poll := func() (panicked string) {
		conLines := con.lines()
		// The agent falls back to the console when ttyS1 is unusable, so
		// framed lines are taken from both.
		for _, line := range append(ctl.lines(), conLines...) {
			m, ok, err := wire.Decode(line)
			if !ok {
				continue
			}
			if err != nil {
				var de *wire.DecodeError
				if !errors.As(err, &de) {
					de = &wire.DecodeError{Line: string(line), Err: err}
				}
				if w.OnUndecodable != nil {
					w.OnUndecodable(de)
				}
				continue
			}
			out.Messages = append(out.Messages, m)
			switch m.Kind {
			case wire.KindHello:
				mm := m
				out.Hello = &mm
				out.BootToHello = time.Since(start)
			case wire.KindDone:
				out.Done = true
			}
			if w.OnMessage != nil {
				w.OnMessage(m)
			}
		}
		for _, line := range conLines {
			for _, mk := range panicMarkers {
				if strings.Contains(string(line), mk) {
					panicked = strings.TrimSpace(string(line))
				}
			}
		}
		return panicked
	}
	consoleTail := func() string { return lastLines(con.kept(), 30) }

	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	var panicLine string
	for {
		select {
		case <-ctx.Done():
			kill()
			return out, &InfraError{Op: "run guest", Err: fmt.Errorf("interrupted: %w", ctx.Err())}
		case err := <-exited:
			out.Wall = time.Since(start)
			if p := poll(); p != "" && panicLine == "" {
				panicLine = p
			}
			switch {
			case panicLine != "":
				return out, &BootError{Reason: "kernel panic: " + panicLine, ConsoleTail: consoleTail()}
			case out.Done:
				return out, nil
			case out.Hello == nil && err != nil && len(con.kept()) == 0:
				return out, &InfraError{Op: "run QEMU", Err: fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))}
			case out.Hello == nil:
				return out, &BootError{Reason: fmt.Sprintf("guest stopped before the agent started (QEMU: %v %s)", err, strings.TrimSpace(stderr.String())), ConsoleTail: consoleTail()}
			default:
				return out, &BootError{Reason: fmt.Sprintf("guest stopped before the agent finished (QEMU: %v)", err), ConsoleTail: consoleTail()}
			}
		case <-ticker.C:
			if p := poll(); p != "" && panicLine == "" {
				panicLine = p
				// panic=-1 makes QEMU exit at once; give it a moment to
				// flush, then kill in case the guest wedged instead.
				go func() { time.Sleep(3 * time.Second); _ = cmd.Process.Kill() }()
			}
			el := time.Since(start)
			if out.Hello == nil && w.BootTimeout > 0 && el > w.BootTimeout {
				kill()
				return out, &HangError{Phase: "boot (no agent hello)", After: w.BootTimeout.String(), ConsoleTail: consoleTail()}
			}
			if w.Timeout > 0 && el > w.Timeout {
				kill()
				return out, &HangError{Phase: "run (agent not done)", After: w.Timeout.String(), ConsoleTail: consoleTail()}
			}
		}
	}
}

// tail reads a growing file line by line across polls.
type tail struct {
	path    string
	off     int64
	partial []byte
	keep    int
	buf     []byte
}

func (t *tail) lines() [][]byte {
	if t.path == "" {
		return nil
	}
	f, err := os.Open(t.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(t.off, io.SeekStart); err != nil {
		return nil
	}
	data, _ := io.ReadAll(bufio.NewReader(f))
	t.off += int64(len(data))
	if t.keep > 0 {
		t.buf = append(t.buf, data...)
		if len(t.buf) > t.keep {
			t.buf = t.buf[len(t.buf)-t.keep:]
		}
	}
	data = append(t.partial, data...)
	var out [][]byte
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		out = append(out, bytes.TrimRight(data[:i], "\r"))
		data = data[i+1:]
	}
	t.partial = append([]byte(nil), data...)
	return out
}

func (t *tail) kept() []byte { return t.buf }

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// IsBootError reports whether err blames the guest kernel.
func IsBootError(err error) bool {
	var b *BootError
	var h *HangError
	return errors.As(err, &b) || errors.As(err, &h)
}
