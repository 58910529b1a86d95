// Package protocol defines what crosses the VM boundary: the request the host
// hands to the guest agent (packed into an extra initramfs archive) and the
// messages the agent streams back over the control serial port (ttyS1), one
// JSON object per line. It is shared by the host harness and the guest agent,
// so it must stay free of host-only or guest-only dependencies.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// RequestPath is where the agent finds its request inside the guest.
const RequestPath = "/rolloutlab/request.json"

// ControlDevice is the guest serial port that carries Messages to the host.
// ttyS1 (8250) is built into every kernel we boot, unlike virtio-serial.
const ControlDevice = "/dev/ttyS1"

// FramePrefix starts every control line so that stray output on the port
// (a kernel message, a shell echo) is never mistaken for a message.
const FramePrefix = "@@rolloutlab "

// Mode selects what the agent does once the guest is up.
type Mode string

const (
	ModeProbe    Mode = "probe"    // report facts and power off
	ModeExec     Mode = "exec"     // run Command, return its output and exit code
	ModeShell    Mode = "shell"    // interactive shell on the console
	ModeScenario Mode = "scenario" // run the rollout scenario cells
)

// Request is what the host asks of one boot.
type Request struct {
	Mode Mode `json:"mode"`
	// Modules are loaded (with their dependencies, from modules.dep) before
	// anything else runs. Names without ".ko".
	Modules []string `json:"modules,omitempty"`
	// Command for ModeExec, run by /bin/sh -c when it is a single string.
	Command []string `json:"command,omitempty"`
	// Cells for ModeScenario: opaque to the agent's boot code, interpreted
	// by the scenario runner (see harness/scenario.Cell).
	Cells json.RawMessage `json:"cells,omitempty"`
	// Deadline is how long the whole guest-side work may take before the
	// agent gives up on its own and reports a timeout.
	Deadline Duration `json:"deadline,omitempty"`
}

// Kind names a control message.
type Kind string

const (
	KindHello      Kind = "hello"       // agent started; carries Facts
	KindLog        Kind = "log"         // progress line for the user
	KindExecResult Kind = "exec-result" // ExecResult
	KindCellResult Kind = "cell-result" // one scenario cell's result (JSON, opaque here)
	KindFile       Kind = "file"        // a named blob (raw records), base64 in Data
	KindError      Kind = "error"       // GuestError
	KindDone       Kind = "done"        // the agent finished; it powers off next
)

// Message is one control line.
type Message struct {
	Kind Kind            `json:"kind"`
	Time time.Time       `json:"time"`
	Text string          `json:"text,omitempty"`
	Name string          `json:"name,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Facts are what the agent reports about the guest as soon as it can.
type Facts struct {
	KernelRelease string            `json:"kernel_release"` // uname -r
	KernelVersion string            `json:"kernel_version"` // uname -v
	Clocksource   string            `json:"clocksource"`    // kvm-clock proves KVM
	CPUs          int               `json:"cpus"`
	MemTotalKiB   int64             `json:"mem_total_kib"`
	IPVS          bool              `json:"ipvs"`         // /proc/net/ip_vs exists
	IPVSVersion   string            `json:"ipvs_version"` // first line of /proc/net/ip_vs
	Conntrack     bool              `json:"conntrack"`    // nf_conntrack usable
	Modules       []string          `json:"modules"`      // modules loaded by the agent
	Sysctls       map[string]string `json:"sysctls"`      // effective values read back
	BootToAgent   Duration          `json:"boot_to_agent"`
	AgentReady    Duration          `json:"agent_ready"` // boot until modules loaded
}

// ExecResult is the outcome of ModeExec.
type ExecResult struct {
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	ExitCode int    `json:"exit_code"`
}

// ErrorKind separates who is to blame, as KernelCI does: the kernel (a
// missing feature, an oops) versus the harness or scenario setup.
type ErrorKind string

const (
	ErrKernel   ErrorKind = "kernel"   // the kernel lacks something or misbehaved
	ErrHarness  ErrorKind = "harness"  // our own setup broke (infra error)
	ErrScenario ErrorKind = "scenario" // the scenario could not be run as asked
	ErrTimeout  ErrorKind = "timeout"  // the agent's own deadline passed
)

// GuestError is a typed error reported by the agent.
type GuestError struct {
	Kind    ErrorKind `json:"kind"`
	Op      string    `json:"op"`
	Message string    `json:"message"`
}

func (e *GuestError) Error() string {
	return fmt.Sprintf("guest %s error during %s: %s", e.Kind, e.Op, e.Message)
}

// Duration marshals as a Go duration string ("1.5s") for readable JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration must be a string like \"1.5s\": %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// Encode renders one framed control line (without trailing newline).
func Encode(m Message) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return append([]byte(FramePrefix), b...), nil
}

// Decode parses a line; ok is false for lines that are not framed messages.
func Decode(line []byte) (m Message, ok bool, err error) {
	i := bytes.Index(line, []byte(FramePrefix))
	if i < 0 {
		return Message{}, false, nil
	}
	if err := json.Unmarshal(line[i+len(FramePrefix):], &m); err != nil {
		return Message{}, true, fmt.Errorf("corrupt control line: %w", err)
	}
	return m, true, nil
}
