package qemu

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
)

// pump copies one serial port as its bytes arrive: every byte to log (when
// non-nil) before anything else, every complete line to out. A last line
// without a newline is sent at EOF, so a truncated frame is still seen.
// It returns when r ends or fails, or when stop closes; read errors from a
// closed connection count as EOF since the harness closed it on purpose.
// A failing log is reported at the end but does not stop the reading: a
// port nobody reads would stall the guest.
func pump(r io.Reader, log io.Writer, out chan<- []byte, stop <-chan struct{}) (err error) {
	var sp splitter
	buf := make([]byte, 32*1024)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if log != nil {
				if _, werr := log.Write(buf[:n]); werr != nil {
					err, log = fmt.Errorf("write log: %w", werr), nil
				}
			}
			for _, line := range sp.feed(buf[:n]) {
				select {
				case out <- line:
				case <-stop:
					return err
				}
			}
		}
		if rerr != nil {
			if line := sp.rest(); line != nil {
				select {
				case out <- line:
				case <-stop:
				}
			}
			if rerr == io.EOF || errors.Is(rerr, net.ErrClosed) || errors.Is(rerr, os.ErrClosed) {
				return err
			}
			return errors.Join(err, fmt.Errorf("read: %w", rerr))
		}
	}
}

// splitter cuts a byte stream into lines across reads, dropping the \r a
// tty adds before \n.
type splitter struct{ partial []byte }

func (s *splitter) feed(b []byte) [][]byte {
	var out [][]byte
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		line := append(s.partial, b[:i]...)
		out = append(out, bytes.TrimRight(line, "\r"))
		s.partial = nil
		b = b[i+1:]
	}
	s.partial = append(s.partial, b...)
	return out
}

// rest returns the unterminated last line, or nil if there is none.
func (s *splitter) rest() []byte {
	if len(s.partial) == 0 {
		return nil
	}
	line := bytes.TrimRight(s.partial, "\r")
	s.partial = nil
	return line
}
