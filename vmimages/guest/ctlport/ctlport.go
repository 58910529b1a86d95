// Package ctlport opens the guest's control serial port (wire.ControlDevice)
// the way every guest program that talks to the host must: raw, so the tty
// layer does not rewrite the framed bytes, and drained before power-off.
package ctlport

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/wire"
)

// Open opens wire.ControlDevice for writing, in raw mode.
func Open() (*os.File, error) {
	f, err := os.OpenFile(wire.ControlDevice, os.O_WRONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	if err := makeRaw(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
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

// Drain waits until the port has sent every byte written so far (tcdrain).
// Power-off does not wait for the tty: bytes still in the kernel's buffer
// or the UART are lost, and a host that streams the port then sees the
// last message cut mid-line (seen: a hello cut short, the done lost, on a
// guest that powered off 3 s after boot).
func Drain(f *os.File) error { return unix.IoctlSetInt(int(f.Fd()), unix.TCSBRK, 1) }
