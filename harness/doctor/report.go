package doctor

import (
	"github.com/rolloutlab/rolloutlab/enum"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
)

// Schema names the JSON report's layout; bump it on incompatible changes.
const Schema = "rolloutlab.doctor/v1"

// Answer is doctor's reply for one symptom or for the node.
type Answer string

const (
	NotAffected   Answer = "not-affected"
	Affected      Answer = "affected"
	AnswerUnknown Answer = "unknown"
)

// Answers lists every answer in exit-code order.
func Answers() []Answer { return []Answer{NotAffected, Affected, AnswerUnknown} }

// Valid reports whether a is a known answer.
func (a Answer) Valid() error { return enum.Check("answer", a, Answers()) }

// Exit codes of `rolloutlab doctor`, for scripts.
const (
	ExitNotAffected = 0
	ExitAffected    = 1
	ExitUnknown     = 2
	ExitError       = 3 // usage or internal error, or --probe could not run
	ExitHostChanged = 4 // --probe left the node's namespace different from how it found it
)

// ExitCode is the exit status that reports a.
func (a Answer) ExitCode() int {
	switch a {
	case NotAffected:
		return ExitNotAffected
	case Affected:
		return ExitAffected
	}
	return ExitUnknown
}

// Report is doctor's whole answer (--json prints it).
type Report struct {
	Schema      string          `json:"schema"`
	Answer      Answer          `json:"answer"`
	ExitCode    int             `json:"exit_code"` // Answer's, or ExitError/ExitHostChanged after --probe
	Summary     string          `json:"summary"`
	Node        Node            `json:"node"`
	Fixes       Claims          `json:"fixes"`
	Symptoms    []SymptomAnswer `json:"symptoms"`
	Remedies    []Remedy        `json:"remedies,omitempty"`
	Suggestions []string        `json:"suggestions,omitempty"`
	Probe       *ProbeReport    `json:"probe,omitempty"`
}

// Node is what doctor read about the node, as the report shows it.
type Node struct {
	KernelRelease    string            `json:"kernel_release"`
	Upstream         Upstream          `json:"upstream"`
	Sysctls          map[string]string `json:"sysctls"` // AbsentValue where missing
	ProxyMode        string            `json:"proxy_mode"`
	ProxyModeFrom    string            `json:"proxy_mode_from"`
	KubeProxyVersion string            `json:"kube_proxy_version"`
	KubeProxyFrom    string            `json:"kube_proxy_version_from"`
	Changelog        string            `json:"changelog,omitempty"`
	Notes            []string          `json:"notes,omitempty"`
}

// SymptomAnswer is the answer for one symptom with its reasons and the
// matrix cells (results/matrix.md) that back it.
type SymptomAnswer struct {
	Symptom verdict.Symptom `json:"symptom"`
	Answer  Answer          `json:"answer"`
	Reasons []string        `json:"reasons"`
	Cells   []string        `json:"cells,omitempty"`
}

// Remedy is one change that removes a symptom on this node.
type Remedy struct {
	ID    string   `json:"id"`
	Text  string   `json:"text"`
	Cells []string `json:"cells"`
}

// MeasuredCell is one cell --probe ran on this kernel.
type MeasuredCell struct {
	Name      string          `json:"name"`
	ConnReuse string          `json:"conn_reuse_mode"`
	Nodest    string          `json:"expire_nodest_conn"`
	Requests  int             `json:"requests"`
	Verdict   verdict.Verdict `json:"verdict"`
}

// Measurement is what --probe measured; the input Diagnose adds to facts.
type Measurement struct {
	Cells []MeasuredCell `json:"cells"`
}

// ProbeReport is the measurement as judged, plus the host check.
type ProbeReport struct {
	Cells   []MeasuredCell `json:"cells"`
	Trusted bool           `json:"trusted"`
	Why     string         `json:"why"`
	// Filled by the probe after the run.
	HostUnchanged bool     `json:"host_unchanged"`
	HostDiff      []string `json:"host_diff,omitempty"`
	Snapshot      []string `json:"snapshot_sections,omitempty"`
	ModulesLoaded []string `json:"modules_loaded"`
	Appeared      []string `json:"appeared_with_modules,omitempty"`
}
