package wire

import "fmt"

// ErrorKind separates who is to blame, as KernelCI does: the kernel (a
// missing feature, an oops) versus the harness or scenario setup.
type ErrorKind string

const (
	ErrKernel   ErrorKind = "kernel"   // the kernel lacks something or misbehaved
	ErrHarness  ErrorKind = "harness"  // our own setup broke (infra error)
	ErrScenario ErrorKind = "scenario" // the scenario could not be run as asked
	ErrTimeout  ErrorKind = "timeout"  // the agent's own deadline passed
)

func (k ErrorKind) Valid() error {
	switch k {
	case ErrKernel, ErrHarness, ErrScenario, ErrTimeout:
		return nil
	}
	return fmt.Errorf("error kind %q: want kernel, harness, scenario or timeout", string(k))
}

// GuestError is a typed error reported by the agent.
type GuestError struct {
	Kind    ErrorKind `json:"kind"`
	Op      string    `json:"op"`
	Message string    `json:"message"`
}

func (e *GuestError) Error() string {
	return fmt.Sprintf("guest %s error during %s: %s", e.Kind, e.Op, e.Message)
}

// DecodeError is a framed control line the host could not read: the guest
// and host disagree, or the line was garbled. It is the harness's fault and
// always ends up in the result, never dropped.
type DecodeError struct {
	Line string // the framed part, truncated for the report
	Err  error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("undecodable control line %q: %v", e.Line, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }
