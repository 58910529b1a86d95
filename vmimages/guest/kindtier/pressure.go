package kindtier

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Pressure is the guest's pressure stall totals (/proc/pressure, CONFIG_PSI):
// microseconds in which some task (or, for "full", every task) waited for
// CPU, memory or IO. A load generator that fell behind its schedule waited
// for one of them; the deltas over the load say which.
type Pressure map[string]uint64 // "cpu.some" -> total µs

// ReadPressure reads /proc/pressure/{cpu,memory,io}; nil when the kernel has
// no PSI (or it is disabled).
func ReadPressure() Pressure {
	p := Pressure{}
	for _, res := range []string{"cpu", "memory", "io"} {
		b, err := os.ReadFile("/proc/pressure/" + res)
		if err != nil {
			return nil
		}
		for k, v := range ParsePressure(string(b)) {
			p[res+"."+k] = v
		}
	}
	return p
}

// ParsePressure parses one /proc/pressure file:
//
//	some avg10=0.00 avg60=0.00 avg300=0.00 total=12345
//	full avg10=0.00 avg60=0.00 avg300=0.00 total=0
func ParsePressure(s string) map[string]uint64 {
	out := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		for _, kv := range f[1:] {
			if v, ok := strings.CutPrefix(kv, "total="); ok {
				if n, err := strconv.ParseUint(v, 10, 64); err == nil {
					out[f[0]] = n
				}
			}
		}
	}
	return out
}

// StallShares is, per "cpu.some" etc., the share of the window (in %) in
// which tasks stalled, from two readings window apart.
func StallShares(before, after Pressure, window time.Duration) map[string]string {
	out := map[string]string{}
	if before == nil || after == nil || window <= 0 {
		return out
	}
	for k, a := range after {
		b, ok := before[k]
		if !ok || a < b {
			continue
		}
		out[k] = fmt.Sprintf("%.1f", float64(a-b)/float64(window.Microseconds())*100)
	}
	return out
}
