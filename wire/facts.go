package wire

import "github.com/rolloutlab/rolloutlab/scenario"

// Facts are what the agent reports about the guest as soon as it can.
type Facts struct {
	KernelRelease string            `json:"kernel_release"`    // uname -r
	KernelVersion string            `json:"kernel_version"`    // uname -v
	Cmdline       string            `json:"cmdline,omitempty"` // /proc/cmdline: every boot option in effect
	Clocksource   string            `json:"clocksource"`       // kvm-clock proves KVM
	CPUs          int               `json:"cpus"`
	MemTotalKiB   int64             `json:"mem_total_kib"`
	IPVS          bool              `json:"ipvs"`         // /proc/net/ip_vs exists
	IPVSVersion   string            `json:"ipvs_version"` // first line of /proc/net/ip_vs
	Conntrack     bool              `json:"conntrack"`    // nf_conntrack usable
	Modules       []string          `json:"modules"`      // modules loaded by the agent
	Sysctls       map[string]string `json:"sysctls"`      // effective values read back
	BootToAgent   scenario.Duration `json:"boot_to_agent"`
	AgentReady    scenario.Duration `json:"agent_ready"` // boot until modules loaded
}

// ExecResult is the outcome of ModeExec.
type ExecResult struct {
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	ExitCode int    `json:"exit_code"`
}

// File is a named blob (a cell's raw records); JSON carries Data as base64.
type File struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}
