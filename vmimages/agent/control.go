package main

import (
	"fmt"
	"os"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/ctlport"
	"github.com/rolloutlab/rolloutlab/wire"
)

// control writes framed messages to the host. It prefers the dedicated
// serial port and falls back to the console so that even an agent that
// cannot open ttyS1 still tells the host why.
type control struct {
	out   *os.File
	lines *wire.LineWriter
}

func openControl() *control {
	f, err := ctlport.Open()
	if err == nil {
		return &control{out: f, lines: wire.NewLineWriter(f)}
	}
	fmt.Fprintf(os.Stderr, "agent: control port %s unusable (%v); using the console\n", wire.ControlDevice, err)
	return &control{out: os.Stdout, lines: wire.NewLineWriter(os.Stdout)}
}

func (c *control) write(m wire.Message) error { return c.lines.Write(m) }

// flush waits until the port has sent everything (see ctlport.Drain).
func (c *control) flush() {
	c.lines.Locked(func() { _ = ctlport.Drain(c.out) })
}

// Logf implements the scenario runner's Emitter: progress lines for the user.
func (c *control) Logf(format string, args ...any) {
	_ = c.write(wire.Log(fmt.Sprintf(format, args...)))
}

// CellResult sends one scenario cell's result.
func (c *control) CellResult(res *scenario.CellResult) error {
	return c.write(wire.CellDone(res))
}

// File sends a named blob (the cell's raw records).
func (c *control) File(name string, data []byte) error {
	return c.write(wire.FileMsg(name, data))
}

func (c *control) fail(kind wire.ErrorKind, op string, err error) {
	_ = c.write(wire.Fail(kind, op, err))
}
