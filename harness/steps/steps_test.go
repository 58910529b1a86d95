package steps

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
func recordingSteps(trace *[]string, failAt string, names ...string) []Step {
	var steps []Step
	for _, n := range names {
		steps = append(steps, Step{
			Name: n,
			Run: func(context.Context) error {
				*trace = append(*trace, "run "+n)
				if n == failAt {
					return errBoom
				}
				return nil
			},
			Undo: func() { *trace = append(*trace, "undo "+n) },
		})
	}
	return steps
}

var errBoom = errors.New("boom")

func TestStepRunnerRunsInOrderWithoutUndo(t *testing.T) {
	var trace, logged []string
	r := Runner{Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }}
	if err := r.Run(context.Background(), recordingSteps(&trace, "", "unpack", "patch", "compile")); err != nil {
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
	steps[1].Undo = nil // a step without undo is skipped
	err := Runner{Logf: func(string, ...any) {}}.Run(context.Background(), steps)
	want := []string{"run workspace", "run unpack", "run configure", "undo configure", "undo workspace"}
	if !reflect.DeepEqual(trace, want) {
		t.Errorf("trace %v, want %v", trace, want)
	}
	var se *Error
	if !errors.As(err, &se) || se.Step != "configure" || !errors.Is(err, errBoom) || err.Error() != "configure: boom" {
		t.Errorf("err = %v, want a Error naming configure and wrapping boom", err)
	}
}

func TestStepRunnerStopsOnCancelledContext(t *testing.T) {
	var trace []string
	ctx, cancel := context.WithCancel(context.Background())
	steps := recordingSteps(&trace, "", "workspace", "unpack", "compile")
	steps[0].Run = func(context.Context) error { trace = append(trace, "run workspace"); cancel(); return nil }
	err := Runner{Logf: func(string, ...any) {}}.Run(ctx, steps)
	// unpack never started, so only workspace is undone.
	if want := []string{"run workspace", "undo workspace"}; !reflect.DeepEqual(trace, want) {
		t.Errorf("trace %v, want %v", trace, want)
	}
	var se *Error
	if !errors.As(err, &se) || se.Step != "unpack" || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want unpack: context canceled", err)
	}
}

func TestStepRunnerAccumulatesSeconds(t *testing.T) {
	var trace []string
	var secs float64 // two steps feed one phase, as verify + unpack do
	steps := recordingSteps(&trace, "", "verify", "unpack")
	steps[0].Seconds, steps[1].Seconds = &secs, &secs
	for i := range steps {
		steps[i].Run = func(context.Context) error { time.Sleep(5 * time.Millisecond); return nil }
	}
	if err := (Runner{Logf: func(string, ...any) {}}).Run(context.Background(), steps); err != nil {
		t.Fatal(err)
	}
	if secs < 0.010 {
		t.Errorf("seconds = %v, want both steps' time (>= 10ms)", secs)
	}
}
