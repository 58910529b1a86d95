// Package procfs reads the guest's /proc files that the agent and the
// tiers share, so each is parsed in one place.
package procfs

import (
	"os"
	"strconv"
	"strings"
)

// MeminfoKiB reads /proc/meminfo's fields in kB ("MemAvailable" -> 3349820);
// nil when it cannot be read.
func MeminfoKiB() map[string]int64 { return parseMeminfo(readFile("/proc/meminfo")) }

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

func parseMeminfo(text string) map[string]int64 {
	if text == "" {
		return nil
	}
	kb := map[string]int64{}
	for _, l := range strings.Split(text, "\n") {
		if f := strings.Fields(l); len(f) >= 2 {
			if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				kb[strings.TrimSuffix(f[0], ":")] = v
			}
		}
	}
	return kb
}
