package sh

import (
	"strings"
	"testing"
)

func TestRunAllKeepsOrderAndRecordsFailures(t *testing.T) {
	out := RunAll([][]string{{"echo", "a"}, {"false"}, {"echo", "b"}, {"no-such-tool-here"}})
	if out[0] != "a\n" || out[2] != "b\n" {
		t.Errorf("outputs out of order: %q", out)
	}
	if !strings.HasPrefix(out[1], "\n# false : exit status 1") {
		t.Errorf("failed command: %q", out[1])
	}
	if !strings.Contains(out[3], "# no-such-tool-here not found") {
		t.Errorf("missing tool: %q", out[3])
	}
}
