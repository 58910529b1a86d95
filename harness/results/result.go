// Package results defines the versioned result file a boot produces and
// writes it atomically beside its raw per-request records, so every number
// in a matrix can be traced back to the requests behind it.
package results

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

// Format names this file layout; bump it on incompatible changes.
const Format = "rolloutlab/result/v1"

// Status of a whole boot, KernelCI-style: a kernel problem is not a harness one.
const (
	StatusOK         = "ok"          // scenario ran; see each cell's verdict
	StatusBootError  = "boot-error"  // kernel panicked, hung or lacked features
	StatusInfraError = "infra-error" // harness could not run the guest
	StatusGuestError = "guest-error" // the agent reported an error
)

// File is one boot's results (one kernel, several cells).
type File struct {
	Format    string      `json:"format"`
	Tier      string      `json:"tier"` // dataplane | kube-proxy | kind
	Status    string      `json:"status"`
	Error     string      `json:"error,omitempty"`
	StartedAt time.Time   `json:"started_at"`
	WallSec   float64     `json:"wall_seconds"`
	Kernel    KernelInfo  `json:"kernel"`
	Image     ImageInfo   `json:"image"`
	Harness   HarnessInfo `json:"harness"`
	QEMU      QEMUInfo    `json:"qemu"`
	Host      HostInfo    `json:"host"`
	Facts     wire.Facts  `json:"guest"`
	Cells     []Cell      `json:"cells"`
}

// KernelInfo is the kernel's provenance.
type KernelInfo struct {
	Name          string          `json:"name"`
	Release       string          `json:"release"`
	UnameR        string          `json:"uname_r"`
	Source        string          `json:"source"`
	VmlinuzSHA256 string          `json:"vmlinuz_sha256"`
	Packages      []string        `json:"packages,omitempty"` // "name version sha256"
	Fixes         scenario.FixSet `json:"fixes"`
	FixesSource   string          `json:"fixes_source"`
}

// ImageInfo identifies the guest userspace.
type ImageInfo struct {
	SHA256 string `json:"sha256"`
	Key    string `json:"key"`
}

// HarnessInfo identifies the code that produced the result.
type HarnessInfo struct {
	Commit    string `json:"commit"`
	Dirty     bool   `json:"dirty"`
	GoVersion string `json:"go_version"`
}

// QEMUInfo records the emulator and, above all, the accelerator.
type QEMUInfo struct {
	Version     string `json:"version"`
	Accel       string `json:"accel"`
	AccelReason string `json:"accel_reason"`
	CPUs        int    `json:"cpus"`
	MemoryMiB   int    `json:"memory_mib"`
}

// HostInfo says where it ran.
type HostInfo struct {
	Hostname string `json:"hostname"`
	CPUs     int    `json:"cpus"`
	Kernel   string `json:"kernel"`
}

// Cell is one cell's result and where its raw records are.
type Cell struct {
	Name    string               `json:"name"`
	Verdict Verdict              `json:"verdict"`
	Result  *scenario.CellResult `json:"result,omitempty"`
	Records string               `json:"records,omitempty"` // file name beside the result
	Error   string               `json:"error,omitempty"`
}

// Host fills HostInfo for this machine.
func Host() HostInfo {
	h, _ := os.Hostname()
	var uts strings.Builder
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		uts.WriteString(strings.TrimSpace(string(b)))
	}
	return HostInfo{Hostname: h, CPUs: runtime.NumCPU(), Kernel: uts.String()}
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

// Write stores f as dir/result.json plus one records file per cell, each
// written atomically; result.json goes last, so a directory with a
// result.json is complete. files maps record file names to their bytes.
func Write(dir string, f *File, files map[string][]byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create result dir: %w", err)
	}
	for name, data := range files {
		if strings.ContainsAny(name, "/\\") || name == "" || name == "result.json" {
			return "", fmt.Errorf("refusing records file name %q from the guest", name)
		}
		if err := cache.WriteFileAtomic(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", fmt.Errorf("write records %s: %w", name, err)
		}
	}
	f.Format = Format
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "result.json")
	if err := cache.WriteFileAtomic(p, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write result: %w", err)
	}
	return p, nil
}

// Read loads a result file and checks its format.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if f.Format != Format {
		return nil, fmt.Errorf("%s: format %q, this harness reads %q", path, f.Format, Format)
	}
	return &f, nil
}
