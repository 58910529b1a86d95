package qemu

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/wire"
)

// Outcome is what a guest run produced, whatever the verdict.
type Outcome struct {
	// Messages are the control messages in arrival order, including the
	// ones Run makes up for Undecodable lines (see below).
	Messages []wire.Message
	Hello    *wire.Message
	Done     bool
	Wall     time.Duration
	// BootToHello is host-measured: QEMU start until the hello message.
	BootToHello time.Duration
	// Undecodable lists, one entry each, the lines that should have been
	// control messages but could not be read: a corrupt framed line on
	// either port, or any unframed text on ttyS1 (which carries nothing
	// else). A message may have been lost with each, so Run also hands
	// each to Watch.OnUndecodable: the caller records a harness error.
	Undecodable []*wire.DecodeError
}

// panicMarkers are console lines that mean the kernel is dead or dying.
var panicMarkers = []string{"Kernel panic - not syncing", "BUG: kernel NULL pointer", "Oops: ", "general protection fault"}

const (
	tailLines = 30  // console lines quoted in errors
	clipBytes = 200 // of an undecodable line quoted in its report
)

// session turns serial lines into an Outcome as they arrive. Only Run's
// goroutine touches it.
type session struct {
	out        Outcome
	start      time.Time
	onMessage  func(wire.Message)
	onBadLine  func(*wire.DecodeError)
	tail       []string
	sawConsole bool
	panicLine  string
}

// control takes a line from ttyS1.
func (s *session) control(line []byte) {
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	m, ok, err := wire.Decode(line)
	switch {
	case !ok:
		s.undecodable("ttyS1", line, errors.New("unframed text on the control channel"))
	case err != nil:
		s.undecodable("ttyS1", line, err)
	default:
		s.take(m)
	}
}

// console takes a line from ttyS0 and reports whether it shows a panic.
// The agent falls back to framing its messages here when ttyS1 is
// unusable, so framed lines count as messages.
func (s *session) console(line []byte) (panicked bool) {
	s.sawConsole = true
	s.tail = append(s.tail, string(line))
	if len(s.tail) > tailLines {
		s.tail = s.tail[len(s.tail)-tailLines:]
	}
	if m, ok, err := wire.Decode(line); ok && err != nil {
		s.undecodable("ttyS0", line, err)
	} else if ok {
		s.take(m)
	}
	for _, mk := range panicMarkers {
		if bytes.Contains(line, []byte(mk)) && s.panicLine == "" {
			s.panicLine = strings.TrimSpace(string(line))
			return true
		}
	}
	return false
}

func (s *session) take(m wire.Message) {
	switch m.Kind {
	case wire.KindHello:
		if s.out.Hello == nil {
			mm := m
			s.out.Hello = &mm
			s.out.BootToHello = time.Since(s.start)
		}
	case wire.KindDone:
		s.out.Done = true
	}
	s.out.Messages = append(s.out.Messages, m)
	if s.onMessage != nil {
		s.onMessage(m)
	}
}

func (s *session) undecodable(port string, line []byte, why error) {
	var de *wire.DecodeError
	if !errors.As(why, &de) {
		q := line
		if len(q) > clipBytes {
			q = q[:clipBytes]
		}
		de = &wire.DecodeError{Line: string(q), Err: why}
	}
	de = &wire.DecodeError{Line: port + ": " + de.Line, Err: de.Err}
	s.out.Undecodable = append(s.out.Undecodable, de)
	if s.onBadLine != nil {
		s.onBadLine(de)
	}
}

func (s *session) consoleTail() string { return strings.Join(s.tail, "\n") }
