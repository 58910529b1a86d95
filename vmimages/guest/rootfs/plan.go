// Package rootfs moves the guest from its initramfs onto a disk root: an
// overlay of the read-only engine root and a scratch disk. Plan is a pure
// list of steps (unit-tested); Apply executes them in PID 1.
package rootfs

import (
	"path"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/wire"
)

// Op is what one step does.
type Op string

const (
	OpMkdir  Op = "mkdir"  // mkdir -p Dst
	OpMount  Op = "mount"  // mount(Src, Dst, FSType, Flags, Data)
	OpMove   Op = "move"   // mount --move Src Dst
	OpSwitch Op = "switch" // chdir Src; mount --move Src /; chroot .; chdir /
)

// Step is one action of the plan.
type Step struct {
	Op     Op
	Src    string
	Dst    string
	FSType string
	Flags  uintptr
	Data   string
	// Kernel marks steps whose failure means the kernel lacks something
	// (a driver, a filesystem), not that our setup is wrong.
	Kernel bool
}

// Staging paths inside the initramfs. After the switch they are hidden
// under the new root; the mounts stay alive underneath the overlay.
const (
	stage   = "/.rolloutlab"
	Lower   = stage + "/lower"
	Scratch = stage + "/scratch"
	NewRoot = stage + "/root"
)

// Directories on the scratch disk.
const (
	upperDir      = Scratch + "/overlay/upper"
	workDir       = Scratch + "/overlay/work"
	dockerDir     = Scratch + "/docker"
	containerdDir = Scratch + "/containerd"
	seedDir       = Scratch + "/seed"
)

// moved are the initramfs's API mounts that go along into the new root,
// as switch_root moves them.
var moved = []string{"/dev", "/proc", "/sys", "/run", "/tmp"}

// Plan returns the steps that leave the initramfs for r's disk root.
// Docker's and containerd's state are bind mounts of plain ext4 on the
// scratch disk: overlayfs cannot be an overlay upper dir.
func Plan(r wire.RootSpec) []Step {
	in := func(p string) string { return path.Join(NewRoot, p) }
	s := []Step{
		{Op: OpMkdir, Dst: Lower}, {Op: OpMkdir, Dst: Scratch}, {Op: OpMkdir, Dst: NewRoot},
		{Op: OpMount, Src: r.Lower, Dst: Lower, FSType: "ext4", Flags: unix.MS_RDONLY, Kernel: true},
		{Op: OpMount, Src: r.Scratch, Dst: Scratch, FSType: "ext4", Kernel: true},
	}
	for _, d := range []string{upperDir, workDir, dockerDir, containerdDir, seedDir} {
		s = append(s, Step{Op: OpMkdir, Dst: d})
	}
	s = append(s, Step{
		Op: OpMount, Src: "overlay", Dst: NewRoot, FSType: "overlay", Kernel: true,
		Data: "lowerdir=" + Lower + ",upperdir=" + upperDir + ",workdir=" + workDir,
	})
	binds := []struct{ src, dst string }{
		{dockerDir, "/var/lib/docker"},
		{containerdDir, "/var/lib/containerd"},
		{seedDir, wire.SeedMount},
		// The kernel's modules: modprobe in the new root, and kind's node
		// (it mounts /lib/modules read-only).
		{"/usr/lib/modules", "/usr/lib/modules"},
	}
	for _, b := range binds {
		s = append(s, Step{Op: OpMkdir, Dst: in(b.dst)}, Step{Op: OpMount, Src: b.src, Dst: in(b.dst), Flags: unix.MS_BIND})
	}
	for _, m := range moved {
		s = append(s, Step{Op: OpMkdir, Dst: in(m)}, Step{Op: OpMove, Src: m, Dst: in(m)})
	}
	s = append(s,
		Step{Op: OpSwitch, Src: NewRoot},
		// In the new root: what docker, runc and kind expect of a host.
		Step{Op: OpMount, Src: "cgroup2", Dst: "/sys/fs/cgroup", FSType: "cgroup2", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, Kernel: true},
		Step{Op: OpMkdir, Dst: "/dev/shm"},
		Step{Op: OpMount, Src: "shm", Dst: "/dev/shm", FSType: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: "mode=1777"},
		Step{Op: OpMount, Dst: "/", Flags: unix.MS_REC | unix.MS_SHARED},
	)
	return s
}
