package kbuild

import (
	"context"
	"time"
)

// step is one named stage of a build, in the manner of little-vm-helper's
// step.Step and kind's ordered actions.
type step struct {
	name string
	run  func(ctx context.Context) error
	// undo, when set, removes what run left behind. It runs only when this
	// or a later step fails, so a failed build leaves nothing in the cache.
	undo func()
	// seconds, when set, accumulates the step's duration (the metadata's
	// phase times span several steps).
	seconds *float64
}

// StepError is a failed step: its name and what went wrong.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// stepRunner runs steps in order and reports each one's name and duration.
type stepRunner struct {
	logf func(format string, args ...any)
}

// run stops at the first failing step (or a cancelled ctx before a step
// starts), undoes every started step in reverse order and returns a
// *StepError naming the step.
func (r stepRunner) run(ctx context.Context, steps []step) error {
	for i, s := range steps {
		if err := ctx.Err(); err != nil {
			undo(steps[:i])
			return &StepError{Step: s.name, Err: err}
		}
		r.logf("step %d/%d: %s", i+1, len(steps), s.name)
		start := time.Now()
		err := s.run(ctx)
		took := time.Since(start).Seconds()
		if s.seconds != nil {
			*s.seconds += took
		}
		if err != nil {
			r.logf("step %d/%d: %s failed after %.1fs", i+1, len(steps), s.name, took)
			undo(steps[:i+1])
			return &StepError{Step: s.name, Err: err}
		}
		r.logf("step %d/%d: %s done in %.1fs", i+1, len(steps), s.name, took)
	}
	return nil
}

// undo runs the steps' undos, last step first.
func undo(started []step) {
	for i := len(started) - 1; i >= 0; i-- {
		if started[i].undo != nil {
			started[i].undo()
		}
	}
}
