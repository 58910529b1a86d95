package node

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// SetSysctl writes a /proc/sys value ("net/ipv4/vs/conntrack") in the
// caller's network namespace.
func SetSysctl(name, value string) error {
	if err := os.WriteFile("/proc/sys/"+name, []byte(value), 0o644); err != nil {
		return fmt.Errorf("set sysctl %s=%s: %w", name, value, err)
	}
	return nil
}

// GetSysctl reads a /proc/sys value, whitespace-trimmed.
func GetSysctl(name string) (string, error) {
	b, err := os.ReadFile("/proc/sys/" + name)
	if err != nil {
		return "", fmt.Errorf("read sysctl %s: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// ReadSysctls reads the given names plus every file under the given
// directories (e.g. "net/ipv4/vs"); unreadable entries are skipped.
func ReadSysctls(dirs []string, names ...string) map[string]string {
	out := map[string]string{}
	for _, d := range dirs {
		files, _ := filepath.Glob("/proc/sys/" + d + "/*")
		sort.Strings(files)
		for _, f := range files {
			names = append(names, strings.TrimPrefix(f, "/proc/sys/"))
		}
	}
	for _, n := range names {
		if v, err := GetSysctl(n); err == nil {
			out[n] = v
		}
	}
	return out
}
