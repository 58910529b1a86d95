package resultfile

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Host fills HostInfo for this machine.
func Host() HostInfo {
	h, _ := os.Hostname()
	var uts strings.Builder
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		uts.WriteString(strings.TrimSpace(string(b)))
	}
	start := sampleHost()
	return HostInfo{Hostname: h, CPUs: runtime.NumCPU(), Kernel: uts.String(), start: &start}
}

// Harness reads the git commit of the working tree at root.
func Harness(root string) HarnessInfo {
	info := HarnessInfo{GoVersion: runtime.Version()}
	if out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output(); err == nil {
		info.Commit = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
		info.Dirty = len(strings.TrimSpace(string(out))) > 0
	}
	return info
}
