package scenario

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
)

// ErrorClass groups request failures by what the network did.
type ErrorClass string

const (
	ErrNone    ErrorClass = ""
	ErrTimeout ErrorClass = "timeout"  // no answer in time: SYN or data black-holed
	ErrRefused ErrorClass = "refused"  // RST to the SYN: nothing listening
	ErrReset   ErrorClass = "reset"    // RST on an established connection
	ErrNoRoute ErrorClass = "no-route" // ICMP unreachable: the pod's IP is gone
	ErrClosed  ErrorClass = "closed"   // orderly close before any answer
	ErrOther   ErrorClass = "other"
)

// ErrorClasses lists the failure classes in reporting order.
var ErrorClasses = []ErrorClass{ErrTimeout, ErrRefused, ErrReset, ErrNoRoute, ErrClosed, ErrOther}

// Classify maps a Go error from dialing, reading or writing to its class.
func Classify(err error) ErrorClass {
	if err == nil {
		return ErrNone
	}
	switch {
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
