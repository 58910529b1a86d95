package qemu

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/wire"
)

// Watch bounds a guest's run and receives its control messages.
type Watch struct {
	BootTimeout time.Duration // until the agent's hello
	Timeout     time.Duration // whole run
	// OnMessage is called from Run's goroutine for each message as it
	// arrives.
	OnMessage func(wire.Message)
	// OnUndecodable gets every line that should have been a message and
	// is not (Outcome.Undecodable): the caller records it as a harness
	// error instead of losing it.
	OnUndecodable func(*wire.DecodeError)
}

const (
	// panic=-1 makes QEMU exit at once after a panic; this is how long it
	// may take to flush before it is killed in case the guest wedged.
	panicGrace = 3 * time.Second
	// After QEMU exits: how long to wait for a control connection it
	// never made, and for its streams to reach EOF.
	acceptGrace = 100 * time.Millisecond
	drainGrace  = 5 * time.Second
	// A hung guest gets an NMI and this long to print where it was.
	nmiGrace = 10 * time.Second
)

// Run starts QEMU for cfg and supervises it until the guest powers off,
// the watchdog fires or ctx ends. Both serial ports are streams read as
// data arrives (console: QEMU's stdout; control: a unix socket QEMU
// connects to), copied byte for byte to cfg.ConsoleLog and cfg.ControlLog.
// QEMU never outlives Run: it is killed and reaped on every return path
// and also dies with the harness (Pdeathsig).
func Run(ctx context.Context, cfg Config, w Watch) (_ *Outcome, err error) {
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
	start := time.Now()
	g, err := startGuest(bin, args, cfg)
	if err != nil {
		return nil, err
	}
	s := &session{start: start, onMessage: w.OnMessage, onBadLine: w.OnUndecodable}
	defer func() {
		g.close()
		s.out.Wall = time.Since(start)
		if err == nil {
			if serr := g.streamErr(); serr != nil {
				err = &InfraError{Op: "read the guest's serial ports", Err: serr}
			}
		}
	}()
	return &s.out, supervise(ctx, g, s, w, QMPSocket(cfg))
}

// supervise feeds s the guest's lines until QEMU exits or is killed, and
// says whom to blame.
func supervise(ctx context.Context, g *guest, s *session, w Watch, qmp string) error {
	var bootC, runC, panicC <-chan time.Time
	if w.BootTimeout > 0 {
		t := time.NewTimer(w.BootTimeout)
		defer t.Stop()
		bootC = t.C
	}
	if w.Timeout > 0 {
		t := time.NewTimer(w.Timeout)
		defer t.Stop()
		runC = t.C
	}
	ctl, con := g.ctl, g.con
	for {
		select {
		case <-ctx.Done():
			g.kill()
			return &InfraError{Op: "run guest", Err: fmt.Errorf("interrupted: %w", ctx.Err())}
		case line, ok := <-ctl:
			if !ok {
				ctl = nil
				continue
			}
			s.control(line)
		case line, ok := <-con:
			if !ok {
				con = nil
				continue
			}
			if s.console(line) && panicC == nil {
				t := time.NewTimer(panicGrace)
				defer t.Stop()
				panicC = t.C
			}
		case status := <-g.exited:
			g.waited(status)
			g.drain(s, ctl, con)
			return exitVerdict(s, status, g.stderr.String())
		case <-bootC:
			if s.out.Hello != nil {
				continue
			}
			trace := traceHang(g, s, qmp, ctl, con)
			g.kill()
			g.drain(s, ctl, con)
			return &HangError{Phase: "boot (no agent hello)", After: w.BootTimeout.String(), ConsoleTail: s.consoleTail(), Trace: trace}
		case <-runC:
			if s.panicLine != "" {
				g.kill()
				g.drain(s, ctl, con)
				return exitVerdict(s, g.status, g.stderr.String())
			}
			trace := traceHang(g, s, qmp, ctl, con)
			g.kill()
			g.drain(s, ctl, con)
			return &HangError{Phase: "run (agent not done)", After: w.Timeout.String(), ConsoleTail: s.consoleTail(), Trace: trace}
		case <-panicC:
			// The guest wedged after its panic; the exit case judges it.
			_ = g.cmd.Process.Kill()
		}
	}
}

// traceHang asks a hung guest for an NMI on QEMU's QMP socket and gives
// its kernel nmiGrace to print its log and backtraces (unknown_nmi_panic,
// panic_print in DefaultCmdline) and exit; what it printed reaches the
// console log and the hang's console tail. It says what happened.
func traceHang(g *guest, s *session, qmp string, ctl, con <-chan []byte) string {
	if qmp == "" {
		return ""
	}
	if err := injectNMI(qmp, 2*time.Second); err != nil {
		return "no NMI: " + err.Error()
	}
	t := time.NewTimer(nmiGrace)
	defer t.Stop()
	for {
		select {
		case line, ok := <-ctl:
			if !ok {
				ctl = nil
				continue
			}
			s.control(line)
		case line, ok := <-con:
			if !ok {
				con = nil
				continue
			}
			s.console(line)
		case status := <-g.exited:
			g.waited(status)
			return "an NMI made the kernel print its log and backtraces"
		case <-t.C:
			return "an NMI was injected; the kernel printed nothing and did not stop in " + nmiGrace.String()
		}
	}
}

// exitVerdict judges a QEMU that exited by itself (or after a panic).
func exitVerdict(s *session, status error, stderr string) error {
	stderr = strings.TrimSpace(stderr)
	switch {
	case s.panicLine != "":
		return &BootError{Reason: "kernel panic: " + s.panicLine, ConsoleTail: s.consoleTail()}
	case s.out.Done:
		return nil
	case s.out.Hello == nil && status != nil && !s.sawConsole:
		return &InfraError{Op: "run QEMU", Err: fmt.Errorf("%w: %s", status, stderr)}
	case s.out.Hello == nil:
		return &BootError{Reason: fmt.Sprintf("guest stopped before the agent started (QEMU: %v %s)", status, stderr), ConsoleTail: s.consoleTail()}
	default:
		return &BootError{Reason: fmt.Sprintf("guest stopped before the agent finished (QEMU: %v)", status), ConsoleTail: s.consoleTail()}
	}
}

// IsBootError reports whether err blames the guest kernel.
func IsBootError(err error) bool {
	var b *BootError
	var h *HangError
	return errors.As(err, &b) || errors.As(err, &h)
}
