package qemu

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// guest is a started QEMU process and the streams of its serial ports.
type guest struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	exited chan error // receives Wait's result once
	reaped bool
	status error // Wait's result, once reaped

	ctl, con       chan []byte // lines; closed when the port's stream ends
	ctlErr, conErr error       // set before ctl/con close
	ln             *net.UnixListener
	logs           []*os.File
	qmp            string // QEMU's QMP socket, removed with the guest

	stop chan struct{} // closing it ends every stream goroutine
	wg   sync.WaitGroup
}

// startGuest opens the logs and the control socket, then starts QEMU and
// the goroutines that read its ports. On error nothing is left running.
func startGuest(bin string, args []string, cfg Config) (g *guest, err error) {
	g = &guest{exited: make(chan error, 1), stop: make(chan struct{})}
	defer func() {
		if err != nil {
			g.close()
		}
	}()
	var ctlLog, conLog, conR *os.File
	if cfg.ControlLog != "" {
		if ctlLog, err = g.create(cfg.ControlLog); err != nil {
			return g, &InfraError{Op: "create control log", Err: err}
		}
		if g.ln, err = listenControl(ControlSocket(cfg)); err != nil {
			return g, &InfraError{Op: "open control channel", Err: err}
		}
	}
	if g.qmp = QMPSocket(cfg); g.qmp != "" {
		// QEMU will not serve on a path that exists (a killed run's socket).
		if err = os.Remove(g.qmp); err != nil && !errors.Is(err, os.ErrNotExist) {
			return g, &InfraError{Op: "remove a stale QMP socket", Err: err}
		}
		err = nil
	}
	g.cmd = exec.Command(bin, args...)
	g.cmd.Stderr = &g.stderr
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if cfg.Interactive {
		g.cmd.Stdin, g.cmd.Stdout = os.Stdin, os.Stdout
		g.cmd.Stderr = io.MultiWriter(os.Stderr, &g.stderr)
	} else {
		// Own process group: a terminal Ctrl-C reaches the harness, which
		// then stops QEMU itself and cleans up in order.
		g.cmd.SysProcAttr.Setpgid = true
		if cfg.ConsoleLog != "" {
			if conLog, err = g.create(cfg.ConsoleLog); err != nil {
				return g, &InfraError{Op: "create console log", Err: err}
			}
			var w *os.File
			if conR, w, err = os.Pipe(); err != nil {
				return g, &InfraError{Op: "open console pipe", Err: err}
			}
			// Our copy of the write end goes once QEMU has its own, so
			// the read end sees EOF exactly when QEMU exits.
			defer w.Close()
			g.cmd.Stdout = w
		}
	}
	if err = g.cmd.Start(); err != nil {
		if conR != nil {
			conR.Close()
		}
		return g, &InfraError{Op: "start QEMU", Err: err}
	}
	go func() { g.exited <- g.cmd.Wait() }()

	if conR != nil {
		g.con = make(chan []byte)
		g.spawn(func() {
			defer close(g.con)
			g.closeOnStop(conR)
			g.conErr = pump(conR, conLog, g.con, g.stop)
		})
	}
	if g.ln != nil {
		g.ctl = make(chan []byte)
		pid := g.cmd.Process.Pid
		g.spawn(func() {
			defer close(g.ctl)
			conn, err := acceptFrom(g.ln, pid)
			if err != nil {
				// QEMU exited before connecting: its exit says why.
				if !isTimeout(err) && !errors.Is(err, net.ErrClosed) {
					g.ctlErr = fmt.Errorf("accept: %w", err)
				}
				return
			}
			g.closeOnStop(conn)
			g.ctlErr = pump(conn, ctlLog, g.ctl, g.stop)
		})
	}
	return g, nil
}

func (g *guest) create(path string) (*os.File, error) {
	f, err := os.Create(path)
	if err == nil {
		g.logs = append(g.logs, f)
	}
	return f, err
}

func (g *guest) spawn(f func()) {
	g.wg.Add(1)
	go func() { defer g.wg.Done(); f() }()
}

// closeOnStop unblocks a pending Read on c when the guest is torn down.
func (g *guest) closeOnStop(c io.Closer) {
	g.spawn(func() { <-g.stop; c.Close() })
}

// waited records that QEMU exited with status.
func (g *guest) waited(status error) { g.reaped, g.status = true, status }

// kill stops QEMU and waits until it is reaped, so it never outlives Run.
func (g *guest) kill() {
	if g.cmd == nil || g.cmd.Process == nil || g.reaped {
		return
	}
	_ = g.cmd.Process.Kill()
	g.waited(<-g.exited)
}

// drain feeds s what the ports still hold after QEMU exited. Its end of
// each stream is closed by then, so this takes as long as reading the
// buffered bytes; the bounds only guard against a stream that never ends.
func (g *guest) drain(s *session, ctl, con <-chan []byte) {
	if g.ln != nil {
		// A connection QEMU made is already queued and accepted at once;
		// this only bounds waiting for one that never came.
		_ = g.ln.SetDeadline(time.Now().Add(acceptGrace))
	}
	limit := time.NewTimer(drainGrace)
	defer limit.Stop()
	for ctl != nil || con != nil {
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
		case <-limit.C:
			return
		}
	}
}

// streamErr is a failure to read or record a port, once drained.
func (g *guest) streamErr() error { return errors.Join(g.ctlErr, g.conErr) }

// close kills QEMU if it still runs, ends the stream goroutines, waits for
// them and closes the logs and the control socket (which unlinks it).
func (g *guest) close() {
	g.kill()
	close(g.stop)
	if g.ln != nil {
		g.ln.Close()
	}
	g.wg.Wait()
	for _, f := range g.logs {
		f.Close()
	}
	if g.qmp != "" {
		_ = os.Remove(g.qmp)
	}
}
