package rootfs

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/wire"
)

func TestPlan(t *testing.T) {
	steps := Plan(wire.RootSpec{Lower: "/dev/vda", Scratch: "/dev/vdb"})
	var lines []string
	for _, s := range steps {
		lines = append(lines, s.String())
	}
	idx := func(sub string) int {
		t.Helper()
		for i, l := range lines {
			if strings.Contains(l, sub) {
				return i
			}
		}
		t.Fatalf("no step %q in plan:\n%s", sub, strings.Join(lines, "\n"))
		return -1
	}
	lower := idx("/dev/vda " + Lower)
	if steps[lower].Flags&unix.MS_RDONLY == 0 {
		t.Error("lower disk not mounted read-only")
	}
	scratch := idx("/dev/vdb " + Scratch)
	ovl := idx(`mount -t "overlay"`)
	docker := idx(Scratch + "/docker " + NewRoot + "/var/lib/docker")
	move := idx("mount --move /proc")
	sw := idx("switch root")
	cg := idx(`"cgroup2"`)
	shared := len(steps) - 1
	if !(lower < ovl && scratch < ovl && ovl < docker && docker < move && move < sw && sw < cg && cg < shared) {
		t.Errorf("steps out of order:\n%s", strings.Join(lines, "\n"))
	}
	if !strings.Contains(steps[ovl].Data, "lowerdir="+Lower) || !strings.Contains(steps[ovl].Data, "upperdir="+Scratch+"/") {
		t.Errorf("overlay options %q", steps[ovl].Data)
	}
	// Docker's state must be a bind of plain ext4, never the overlay.
	if steps[docker].Src != Scratch+"/docker" || steps[docker].Flags != unix.MS_BIND {
		t.Errorf("docker state: %s", lines[docker])
	}
	if s := steps[shared]; s.Dst != "/" || s.Flags != unix.MS_REC|unix.MS_SHARED {
		t.Errorf("last step %s, want / rshared", lines[shared])
	}
	for _, m := range moved {
		idx("mount --move " + m + " " + NewRoot + m)
	}
	idx(NewRoot + wire.SeedMount)
	idx("/dev/shm")
	var kernel []Op
	for _, s := range steps {
		if s.Kernel {
			kernel = append(kernel, s.Op)
		}
	}
	if !slices.Equal(kernel, []Op{OpMount, OpMount, OpMount, OpMount}) {
		t.Errorf("kernel-blamed steps %v: want the two disks, overlay and cgroup2", kernel)
	}
}

func TestKernelFault(t *testing.T) {
	if !kernelFault(unix.ENODEV) || kernelFault(unix.EINVAL) {
		t.Fatal("ENODEV is the kernel's, EINVAL ours")
	}
}
