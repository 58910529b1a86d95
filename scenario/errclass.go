package scenario

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrorClass groups request failures by what the network did, or, for
// ErrPortExhausted, by the client's own limit that stopped the request
// before it reached the network.
type ErrorClass string

const (
	ErrNone    ErrorClass = ""
	ErrTimeout ErrorClass = "timeout"  // no answer in time: SYN or data black-holed
	ErrRefused ErrorClass = "refused"  // RST to the SYN: nothing listening
	ErrReset   ErrorClass = "reset"    // RST on an established connection
	ErrNoRoute ErrorClass = "no-route" // ICMP unreachable: the pod's IP is gone
	ErrClosed  ErrorClass = "closed"   // orderly close before any answer
	// ErrPortExhausted: connect() found no free local port (EADDRNOTAVAIL):
	// the client's port range was used up, nothing was sent.
	ErrPortExhausted ErrorClass = "port-exhausted"
	ErrOther         ErrorClass = "other" // see Record.Errno for which errno
)

// ErrorClasses lists the failure classes in reporting order.
var ErrorClasses = []ErrorClass{ErrTimeout, ErrRefused, ErrReset, ErrNoRoute, ErrClosed, ErrPortExhausted, ErrOther}

// ClientLimit reports a class that is the load generator's own limit, not
// something the kernel or the rollout did: it never counts against either.
func (c ErrorClass) ClientLimit() bool { return c == ErrPortExhausted }

// Classify maps a Go error from dialing, reading or writing to its class.
func Classify(err error) ErrorClass {
	if err == nil {
		return ErrNone
	}
	switch {
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return ErrPortExhausted
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return ErrReset
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ErrNoRoute
	case errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, context.DeadlineExceeded):
		return ErrTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrClosed
	}
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return ErrTimeout
	}
	return ErrOther
}

// ErrnoName is the errno behind err ("EMFILE"), or "" when err wraps none,
// so an `other` failure still says what it was.
func ErrnoName(err error) string {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return ""
	}
	if name := unix.ErrnoName(en); name != "" {
		return name
	}
	return en.Error()
}
