package main

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

// control writes framed messages to the host. It prefers the dedicated
// serial port and falls back to the console so that even an agent that
// cannot open ttyS1 still tells the host why.
type control struct {
	mu  sync.Mutex
	out *os.File
}

func openControl() *control {
	f, err := os.OpenFile(wire.ControlDevice, os.O_WRONLY|unix.O_NOCTTY, 0)
	if err == nil {
		if err := makeRaw(f); err == nil {
			return &control{out: f}
		}
		f.Close()
	}
	fmt.Fprintf(os.Stderr, "agent: control port %s unusable (%v); using the console\n", wire.ControlDevice, err)
	return &control{out: os.Stdout}
}

// makeRaw stops the tty layer from rewriting our bytes (\n -> \r\n, echo).
func makeRaw(f *os.File) error {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cflag = t.Cflag&^unix.CBAUD | unix.B115200
	return unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
}

func (c *control) write(m wire.Message) error {
	line, err := wire.Encode(m)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err = c.out.Write(append(line, '\n'))
	return err
}

// flush waits until the serial port has sent every byte written so far
// (tcdrain). Power-off does not wait for the tty: bytes still in the
// kernel's buffer or the UART are lost, and a host that streams the port
// then sees the last message cut mid-line (seen: a hello cut short, the
// done lost, on a guest that powered off 3 s after boot).
func (c *control) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = unix.IoctlSetInt(int(c.out.Fd()), unix.TCSBRK, 1)
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
