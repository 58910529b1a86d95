// Package steps runs a long job as ordered, named steps with clean-up, in
// the manner of little-vm-helper's step.Step and kind's ordered actions:
// each step prints its name and duration, and a failure undoes every
// started step in reverse so nothing half-made is left behind.
package steps

import (
	"context"
	"time"
)

// Step is one named stage of a job.
type Step struct {
	Name string
	Run  func(ctx context.Context) error
	// undo, when set, removes what run left behind. It runs only when this
	// or a later step fails, so a failed build leaves nothing in the cache.
	Undo func()
	// seconds, when set, accumulates the step's duration (the metadata's
	// phase times span several steps).
	Seconds *float64
}

// Error is a failed step: its name and what went wrong.
type Error struct {
	Step string
	Err  error
}

func (e *Error) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Runner runs steps in order and reports each one's name and duration.
type Runner struct {
	Logf func(format string, args ...any)
}

// run stops at the first failing step (or a cancelled ctx before a step
// starts), undoes every started step in reverse order and returns a
// *Error naming the step.
func (r Runner) Run(ctx context.Context, steps []Step) error {
	for i, s := range steps {
		if err := ctx.Err(); err != nil {
			undo(steps[:i])
			return &Error{Step: s.Name, Err: err}
		}
		r.Logf("step %d/%d: %s", i+1, len(steps), s.Name)
		start := time.Now()
		err := s.Run(ctx)
		took := time.Since(start).Seconds()
		if s.Seconds != nil {
			*s.Seconds += took
		}
		if err != nil {
			r.Logf("step %d/%d: %s failed after %.1fs", i+1, len(steps), s.Name, took)
			undo(steps[:i+1])
			return &Error{Step: s.Name, Err: err}
		}
		r.Logf("step %d/%d: %s done in %.1fs", i+1, len(steps), s.Name, took)
	}
	return nil
}

// undo runs the steps' undos, last step first.
func undo(started []Step) {
	for i := len(started) - 1; i >= 0; i-- {
		if started[i].Undo != nil {
			started[i].Undo()
		}
	}
}
