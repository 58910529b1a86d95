package resultfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

func TestHostLoad(t *testing.T) {
	la, err := parseLoadavg("3.21 1.50 0.70 3/250 12345\n")
	if err != nil || la != [3]float64{3.21, 1.5, 0.7} {
		t.Fatalf("loadavg %v %v", la, err)
	}
	start, err := parseStat("cpu  100 0 100 700 50 0 0 50 0 0\ncpu0 1 2 3\n")
	if err != nil {
		t.Fatal(err)
	}
	end, _ := parseStat("cpu  400 0 200 1100 150 0 0 150 0 0\n")
	l := hostLoad(hostSample{loadavg: [3]float64{0.5, 0.4, 0.3}, cpu: start}, hostSample{loadavg: la, cpu: end})
	// 1000 ticks over the boot: 100 iowait, 100 steal.
	if l.StealShare != 0.1 || l.IOWaitShare != 0.1 || l.Error != "" {
		t.Errorf("shares %+v", l)
	}
	want := "host load 3.2 on 2 cores during the boot (1-min loadavg 0.50 at start, 3.21 at end; steal 10.0 %, iowait 10.0 %)"
	if got := l.Describe(2); got != want {
		t.Errorf("describe:\n got %q\nwant %q", got, want)
	}
	if _, err := parseStat("intr 1 2\n"); err == nil {
		t.Error("no cpu line should fail")
	}
	if l := hostLoad(hostSample{err: errors.New("loadavg: gone")}, hostSample{}); l.Error == "" || l.StealShare != 0 {
		t.Errorf("unreadable start %+v", l)
	}
	if (*HostLoad)(nil).Describe(2) != "" {
		t.Error("no load recorded: no words")
	}
}

// Write completes the load Host sampled and names it in a lag error.
func TestWriteNotesHostLoad(t *testing.T) {
	res := &scenario.CellResult{Counts: scenario.Counts{Requests: 10}, Lag: scenario.Summary{P99: 700}}
	f := &File{Host: Host(), Cells: []Cell{{Name: "ipvs-reuse1", Result: res, Verdict: verdict.Judge(res)}}}
	if _, err := Write(t.TempDir(), f, nil); err != nil {
		t.Fatal(err)
	}
	if f.Host.Load == nil || f.Host.Load.Error != "" {
		t.Fatalf("load %+v", f.Host.Load)
	}
	if why := f.Cells[0].Verdict.Reasons[0]; !strings.Contains(why, "; host load ") || !strings.Contains(why, "cores during the boot") {
		t.Errorf("reason %q", why)
	}
}
