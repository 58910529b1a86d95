// Package resultfile is the versioned result file a boot produces
// (rolloutlab/result/v1): written atomically beside its raw per-request
// records, and read back, one run or a whole results tree, with every cell
// re-judged from those records, so every number in a report can be traced
// back to the requests behind it.
package resultfile

import (
	"time"

	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/wire"
)

// Format names this file layout; bump it on incompatible changes.
const Format = "rolloutlab/result/v1"

// File is one boot's results (one kernel, several cells).
type File struct {
	Format    string      `json:"format"`
	Tier      string      `json:"tier"` // a scenario.Tier, or "mixed" when the cells disagree
	Status    RunStatus   `json:"status"`
	Error     string      `json:"error,omitempty"`
	StartedAt time.Time   `json:"started_at"`
	WallSec   float64     `json:"wall_seconds"`
	Kernel    KernelInfo  `json:"kernel"`
	Image     ImageInfo   `json:"image"`
	Harness   HarnessInfo `json:"harness"`
	QEMU      QEMUInfo    `json:"qemu"`
	Host      HostInfo    `json:"host"`
	Facts     wire.Facts  `json:"guest"`
	// ParallelCells: how many dataplane cells ran side by side, each on a
	// node network namespace of its own; absent, one after another in the
	// guest's root namespace.
	ParallelCells int `json:"parallel_cells,omitempty"`
	// Kind is the kind tier's provenance (kind cells only).
	Kind  *KindInfo `json:"kind,omitempty"`
	Cells []Cell    `json:"cells"`
}

// KindInfo identifies what a kind tier boot ran: the harness-built node
// and app images, the engine root and which kind binary was allowed.
type KindInfo struct {
	NodeImage       string `json:"node_image"`
	NodeImageSHA256 string `json:"node_image_sha256"`
	AppImage        string `json:"app_image"`
	EngineRoot      string `json:"engine_root"`
	// Policy: stock, patched or auto; each cell's kind:binary says which ran.
	Policy string `json:"policy"`
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
	// Patches are the user's PATCHES= on top of the catalog kernel, in
	// order: "name sha256".
	Patches []string `json:"patches,omitempty"`
}

// ImageInfo identifies the guest userspace.
type ImageInfo struct {
	SHA256 string `json:"sha256"`
	Key    string `json:"key"`
	// File is the base archive's name, which says its format: base.cpio
	// (uncompressed) since 2026-12-04, base.cpio.gz before.
	File string `json:"file,omitempty"`
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
	// CPUModel is QEMU's -cpu. Results without it ran before 2026-12-07,
	// when TCG guests got "max" and KVM guests "host" (see Model).
	CPUModel string `json:"cpu_model,omitempty"`
	// Boot is how QEMU entered the kernel: "pvh" (the bzImage's own
	// vmlinux, uncompressed, through the PVH entry) or "bzimage". Results
	// without it (before 2026-12-07) booted the bzImage.
	Boot string `json:"boot,omitempty"`
}

// Model is the guest CPU model, for results that did not record it too.
func (q QEMUInfo) Model() string {
	switch {
	case q.CPUModel != "":
		return q.CPUModel
	case q.Accel == "kvm":
		return "host"
	default:
		return "max"
	}
}

// HostInfo says where it ran.
type HostInfo struct {
	Hostname string `json:"hostname"`
	CPUs     int    `json:"cpus"`
	Kernel   string `json:"kernel"`
	// Load over the boot: sampled by Host at its start, completed by
	// Write at its end. Results written before it existed have none.
	Load *HostLoad `json:"load,omitempty"`
	// start is Host's sample, kept until Write compares the end with it.
	start *hostSample
}

// Cell is one cell's result and where its raw records are.
type Cell struct {
	Name    string               `json:"name"`
	Verdict verdict.Verdict      `json:"verdict"`
	Result  *scenario.CellResult `json:"result,omitempty"`
	Records string               `json:"records,omitempty"` // file name beside the result
	Error   string               `json:"error,omitempty"`
}
