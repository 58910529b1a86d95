package resultfile

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// HostLoad is how busy the host was while the boot ran: under TCG a busy
// host starves the guest, and a cell whose load then fell behind names it.
type HostLoad struct {
	LoadavgStart [3]float64 `json:"loadavg_start"` // /proc/loadavg: 1, 5, 15 min
	LoadavgEnd   [3]float64 `json:"loadavg_end"`
	// Shares of all host CPU time over the boot, 0..1 (/proc/stat):
	// steal (a hypervisor above us) and iowait.
	StealShare  float64 `json:"steal_share"`
	IOWaitShare float64 `json:"iowait_share"`
	// Error says what could not be read, if anything.
	Error string `json:"error,omitempty"`
}

// cpuTimes is /proc/stat's aggregate cpu line, in ticks.
type cpuTimes struct{ total, iowait, steal uint64 }

// hostSample is the host's state at one moment.
type hostSample struct {
	loadavg [3]float64
	cpu     cpuTimes
	err     error
}

func sampleHost() hostSample {
	var s hostSample
	b, err := os.ReadFile("/proc/loadavg")
	if err == nil {
		s.loadavg, err = parseLoadavg(string(b))
	}
	if err != nil {
		s.err = fmt.Errorf("loadavg: %w", err)
		return s
	}
	if b, err = os.ReadFile("/proc/stat"); err == nil {
		s.cpu, err = parseStat(string(b))
	}
	if err != nil {
		s.err = fmt.Errorf("stat: %w", err)
	}
	return s
}

func parseLoadavg(s string) ([3]float64, error) {
	var out [3]float64
	f := strings.Fields(s)
	if len(f) < 3 {
		return out, fmt.Errorf("short /proc/loadavg %q", s)
	}
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return out, fmt.Errorf("loadavg field %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// parseStat reads "cpu user nice system idle iowait irq softirq steal ...";
// guest time is already inside user, so the total is the first eight.
func parseStat(s string) (cpuTimes, error) {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTimes{}, fmt.Errorf("no aggregate cpu line in /proc/stat")
	}
	var v [8]uint64
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("cpu field %d: %w", i+1, err)
		}
		v[i] = n
	}
	var t cpuTimes
	for _, n := range v {
		t.total += n
	}
	t.iowait, t.steal = v[4], v[7]
	return t, nil
}

// hostLoad compares the samples at boot start and end.
func hostLoad(start, end hostSample) *HostLoad {
	l := &HostLoad{LoadavgStart: start.loadavg, LoadavgEnd: end.loadavg}
	for _, err := range []error{start.err, end.err} {
		if err != nil && l.Error == "" {
			l.Error = err.Error()
		}
	}
	if d := end.cpu.total - start.cpu.total; start.err == nil && end.err == nil && end.cpu.total > start.cpu.total {
		l.StealShare = round2(float64(end.cpu.steal-start.cpu.steal) / float64(d))
		l.IOWaitShare = round2(float64(end.cpu.iowait-start.cpu.iowait) / float64(d))
	}
	return l
}

func round2(f float64) float64 { return float64(int64(f*10000+0.5)) / 10000 }

// Describe is the host load in words, for a reason: the higher of the
// 1-minute load averages at start and end, against the cores.
func (l *HostLoad) Describe(cpus int) string {
	if l == nil {
		return ""
	}
	s := fmt.Sprintf("host load %.1f on %d cores during the boot (1-min loadavg %.2f at start, %.2f at end",
		max(l.LoadavgStart[0], l.LoadavgEnd[0]), cpus, l.LoadavgStart[0], l.LoadavgEnd[0])
	if l.StealShare > 0 || l.IOWaitShare > 0 {
		s += fmt.Sprintf("; steal %.1f %%, iowait %.1f %%", 100*l.StealShare, 100*l.IOWaitShare)
	}
	return s + ")"
}
