package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

func TestClassify(t *testing.T) {
	opErr := func(op string, err error) error {
		return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, err)}
	}
	tests := []struct {
		name string
		err  error
		want ErrorClass
	}{
		{"nil", nil, ErrNone},
		{"refused", opErr("connect", syscall.ECONNREFUSED), ErrRefused},
		{"reset", opErr("read", syscall.ECONNRESET), ErrReset},
		{"epipe", opErr("write", syscall.EPIPE), ErrReset},
		{"host unreachable", opErr("connect", syscall.EHOSTUNREACH), ErrNoRoute},
		{"net unreachable", opErr("connect", syscall.ENETUNREACH), ErrNoRoute},
		{"etimedout", opErr("connect", syscall.ETIMEDOUT), ErrTimeout},
		{"deadline", &os.PathError{Op: "read", Path: "tcp", Err: os.ErrDeadlineExceeded}, ErrTimeout},
		{"ctx deadline", fmt.Errorf("dial: %w", context.DeadlineExceeded), ErrTimeout},
		{"timeout iface", fmt.Errorf("wrapped: %w", timeoutErr{}), ErrTimeout},
		{"eof", fmt.Errorf("read answer: %w", io.EOF), ErrClosed},
		{"unexpected eof", io.ErrUnexpectedEOF, ErrClosed},
		{"other", errors.New("boom"), ErrOther},
		{"bare errno refused", syscall.ECONNREFUSED, ErrRefused},
		{"no local port", opErr("connect", syscall.EADDRNOTAVAIL), ErrPortExhausted},
		{"emfile", opErr("socket", syscall.EMFILE), ErrOther},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify(%v) = %q, want %q", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestErrnoName(t *testing.T) {
	if got := ErrnoName(os.NewSyscallError("socket", syscall.EMFILE)); got != "EMFILE" {
		t.Errorf("EMFILE: %q", got)
	}
	if got := ErrnoName(errors.New("boom")); got != "" {
		t.Errorf("no errno: %q", got)
	}
	if !ErrPortExhausted.ClientLimit() || ErrOther.ClientLimit() || ErrTimeout.ClientLimit() {
		t.Error("only port-exhausted is the client's limit")
	}
}
