// Package load is the client pod's load generator: short connections (one
// request each) to the service, open loop at a fixed rate (latency counted
// from the intended start, so a stalled generator cannot hide delay) or
// closed loop, with the client netns's ephemeral port range narrowed so that
// source ports are reused quickly, as on a busy caller.
package load

import (
	"encoding/json"
	"fmt"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// Config is what the runner passes to the "load" subcommand (as JSON).
type Config struct {
	Target      string            `json:"target"` // ClusterIP:port
	Rate        float64           `json:"rate,omitempty"`
	ClosedLoop  bool              `json:"closed_loop,omitempty"`
	Concurrency int               `json:"concurrency,omitempty"`
	PortRange   string            `json:"port_range"`
	Timeout     scenario.Duration `json:"timeout"`
	MaxDuration scenario.Duration `json:"max_duration"`
	Out         string            `json:"out"` // JSON lines of scenario.Record
}

// ConfigFor builds the load config of a cell.
func ConfigFor(l scenario.Load, target, out string) Config {
	return Config{Target: target, Rate: l.Rate, ClosedLoop: l.ClosedLoop, Concurrency: l.Concurrency,
		PortRange: l.ClientPortRange, Timeout: l.Timeout, MaxDuration: l.MaxDuration, Out: out}
}

func (c Config) validate() error {
	if c.Target == "" || c.Out == "" {
		return fmt.Errorf("target and out are required")
	}
	if c.ClosedLoop && c.Concurrency < 1 {
		return fmt.Errorf("closed loop needs concurrency >= 1")
	}
	if !c.ClosedLoop && c.Rate <= 0 {
		return fmt.Errorf("open loop needs rate > 0")
	}
	if c.Timeout <= 0 || c.MaxDuration <= 0 {
		return fmt.Errorf("timeout and max_duration must be > 0")
	}
	_, _, err := scenario.ParsePortRange(c.PortRange)
	return err
}

// Marshal renders c for the command line.
func (c Config) Marshal() string {
	b, _ := json.Marshal(c) // plain struct: cannot fail
	return string(b)
}
