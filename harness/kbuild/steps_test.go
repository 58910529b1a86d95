package kbuild

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// recordingSteps returns steps named names that append "run X" / "undo X"
// to trace; the step named failAt fails.
func recordingSteps(trace *[]string, failAt string, names ...string) []step {
	var steps []step
	for _, n := range names {
		steps = append(steps, step{
			name: n,
			run: func(context.Context) error {
				*trace = append(*trace, "run "+n)
				if n == failAt {
					return errBoom
				}
				return nil
			},
			undo: func() { *trace = append(*trace, "undo "+n) },
		})
	}
	return steps
}

var errBoom = errors.New("boom")

func TestStepRunnerRunsInOrderWithoutUndo(t *testing.T) {
	var trace, logged []string
	r := stepRunner{logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }}
	if err := r.run(context.Background(), recordingSteps(&trace, "", "unpack", "patch", "compile")); err != nil {
		t.Fatal(err)
	}
	if want := []string{"run unpack", "run patch", "run compile"}; !reflect.DeepEqual(trace, want) {
		t.Errorf("trace %v, want %v", trace, want)
	}
	if len(logged) != 6 || logged[0] != "step 1/3: unpack" || !strings.HasPrefix(logged[5], "step 3/3: compile done in ") {
		t.Errorf("progress lines: %q", logged)
	}
}

func TestStepRunnerUndoesInReverseOnFailure(t *testing.T) {
	var trace []string
	steps := recordingSteps(&trace, "configure", "workspace", "unpack", "configure", "compile")
	steps[1].undo = nil // a step without undo is skipped
	err := stepRunner{logf: func(string, ...any) {}}.run(context.Background(), steps)
	want := []string{"run workspace", "run unpack", "run configure", "undo configure", "undo workspace"}
	if !reflect.DeepEqual(trace, want) {
		t.Errorf("trace %v, want %v", trace, want)
	}
	var se *StepError
	if !errors.As(err, &se) || se.Step != "configure" || !errors.Is(err, errBoom) || err.Error() != "configure: boom" {
		t.Errorf("err = %v, want a StepError naming configure and wrapping boom", err)
	}
}

func TestStepRunnerStopsOnCancelledContext(t *testing.T) {
	var trace []string
	ctx, cancel := context.WithCancel(context.Background())
	steps := recordingSteps(&trace, "", "workspace", "unpack", "compile")
	steps[0].run = func(context.Context) error { trace = append(trace, "run workspace"); cancel(); return nil }
	err := stepRunner{logf: func(string, ...any) {}}.run(ctx, steps)
	// unpack never started, so only workspace is undone.
	if want := []string{"run workspace", "undo workspace"}; !reflect.DeepEqual(trace, want) {
		t.Errorf("trace %v, want %v", trace, want)
	}
	var se *StepError
	if !errors.As(err, &se) || se.Step != "unpack" || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want unpack: context canceled", err)
	}
}

func TestStepRunnerAccumulatesSeconds(t *testing.T) {
	var trace []string
	var secs float64 // two steps feed one phase, as verify + unpack do
	steps := recordingSteps(&trace, "", "verify", "unpack")
	steps[0].seconds, steps[1].seconds = &secs, &secs
	for i := range steps {
		steps[i].run = func(context.Context) error { time.Sleep(5 * time.Millisecond); return nil }
	}
	if err := (stepRunner{logf: func(string, ...any) {}}).run(context.Background(), steps); err != nil {
		t.Fatal(err)
	}
	if secs < 0.010 {
		t.Errorf("seconds = %v, want both steps' time (>= 10ms)", secs)
	}
}

func TestBuildStepNames(t *testing.T) {
	var names []string
	for _, s := range (&buildRun{}).steps() {
		names = append(names, s.name)
	}
	want := []string{"check prerequisites", "read inputs", "create workspace", "verify source", "unpack source",
		"apply patches", "detect fixes", "configure", "check config", "compile", "collect outputs", "publish", "remove work tree"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("steps %q, want %q", names, want)
	}
}
