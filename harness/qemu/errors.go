package qemu

import "fmt"

// BootError: the kernel did not get the agent running or died later
// (panic, oops, hang). The kernel under test is to blame, not the harness.
type BootError struct {
	Reason      string
	ConsoleTail string
}

func (e *BootError) Error() string {
	return fmt.Sprintf("guest kernel failed: %s\n--- console (last lines) ---\n%s", e.Reason, e.ConsoleTail)
}

// InfraError: the harness could not run the guest at all (QEMU missing,
// bad arguments, unwritable files). Retrying on another kernel won't help.
type InfraError struct {
	Op  string
	Err error
}

func (e *InfraError) Error() string { return fmt.Sprintf("harness failure: %s: %v", e.Op, e.Err) }
func (e *InfraError) Unwrap() error { return e.Err }

// HangError: the guest booted but stopped making progress before the
// agent said it was done; the watchdog killed it.
type HangError struct {
	Phase       string
	After       string
	ConsoleTail string
	// Trace says whether the watchdog got the kernel to show where it was
	// (an injected NMI, see traceHang) before it killed QEMU.
	Trace string
}

func (e *HangError) Error() string {
	trace := ""
	if e.Trace != "" {
		trace = " (" + e.Trace + ")"
	}
	return fmt.Sprintf("guest hung during %s: killed by the watchdog after %s%s\n--- console (last lines) ---\n%s", e.Phase, e.After, trace, e.ConsoleTail)
}
