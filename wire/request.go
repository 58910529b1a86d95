package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// Mode selects what the agent does once the guest is up.
type Mode string

const (
	ModeProbe    Mode = "probe"    // report facts and power off
	ModeExec     Mode = "exec"     // run Command, return its output and exit code
	ModeShell    Mode = "shell"    // interactive shell on the console
	ModeScenario Mode = "scenario" // run the rollout scenario cells
)

// Modes lists every mode the agent knows.
func Modes() []Mode { return []Mode{ModeProbe, ModeExec, ModeShell, ModeScenario} }

func (m Mode) Valid() error {
	for _, ok := range Modes() {
		if m == ok {
			return nil
		}
	}
	return fmt.Errorf("mode %q: want probe, exec, shell or scenario", string(m))
}

// Request is what the host asks of one boot.
type Request struct {
	Mode Mode `json:"mode"`
	// Modules are loaded (with their dependencies, from modules.dep) before
	// anything else runs. Names without ".ko".
	Modules []string `json:"modules,omitempty"`
	// Command for ModeExec, run by /bin/sh -c when it is a single string.
	Command []string `json:"command,omitempty"`
	// Cells for ModeScenario, with their defaults filled in by the host
	// (scenario.ParseSpecs); the guest runs them as they are.
	Cells []scenario.Cell `json:"cells,omitempty"`
	// Deadline is how long the whole guest-side work may take before the
	// agent gives up on its own and reports a timeout.
	Deadline scenario.Duration `json:"deadline,omitempty"`
	// Root, when set, moves the guest onto a disk root (and optionally
	// starts the container engine) before the mode runs.
	Root *RootSpec `json:"root,omitempty"`
	// Kind, for kind tier cells: the images and waits their clusters share.
	Kind *KindSpec `json:"kind,omitempty"`
	// ParallelCells > 1 runs up to that many dataplane tier cells side by
	// side, each on a node network namespace of its own; 0 or 1 runs every
	// cell one after another in the guest's root namespace.
	ParallelCells int `json:"parallel_cells,omitempty"`
}

// MaxParallelCells bounds ParallelCells: more cells than this at once on a
// small guest measure the guest, not the kernel.
const MaxParallelCells = 4

// Valid checks a request on either side of the boundary with the same
// rules: the host before it boots, the guest before it acts.
func (r Request) Valid() error {
	if err := r.Mode.Valid(); err != nil {
		return err
	}
	if r.Root != nil {
		if err := r.Root.Valid(); err != nil {
			return err
		}
	}
	switch r.Mode {
	case ModeExec:
		if len(r.Command) == 0 {
			return errors.New("exec request without a command")
		}
	case ModeScenario:
		if len(r.Cells) == 0 {
			return errors.New("scenario request without cells")
		}
		if r.ParallelCells < 0 || r.ParallelCells > MaxParallelCells {
			return fmt.Errorf("parallel cells %d: want 0 or 1 (one after another) up to %d", r.ParallelCells, MaxParallelCells)
		}
		seen := map[string]bool{}
		for i, c := range r.Cells {
			if c.Name == "" {
				return fmt.Errorf("cell %d: defaults not filled in (the host sends cells from scenario.ParseSpecs)", i)
			}
			if err := c.Validate(); err != nil {
				return fmt.Errorf("cell %d (%s): %w", i, c.Name, err)
			}
			if seen[c.Name] {
				return fmt.Errorf("cell %s given twice", c.Name)
			}
			seen[c.Name] = true
		}
		if err := r.validKind(); err != nil {
			return err
		}
	}
	return nil
}

// EncodeRequest renders a valid request for the guest.
func EncodeRequest(r Request) ([]byte, error) {
	if err := r.Valid(); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	return json.Marshal(r)
}

// DecodeRequest reads and checks a request; unknown fields are refused, so
// a host and guest built from different sources fail loudly.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Request{}, fmt.Errorf("parse request: %w", err)
	}
	if err := r.Valid(); err != nil {
		return Request{}, fmt.Errorf("request: %w", err)
	}
	return r, nil
}
