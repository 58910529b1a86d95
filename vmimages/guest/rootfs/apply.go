package rootfs

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/wire"
)

// Apply runs steps in order and stops at the first failure, returned as a
// *wire.GuestError: kind kernel for a missing device or filesystem type,
// harness otherwise. It must run in PID 1 (the whole process changes root).
func Apply(steps []Step) error {
	for i, st := range steps {
		if err := apply(st); err != nil {
			kind := wire.ErrHarness
			if st.Kernel && kernelFault(err) {
				kind = wire.ErrKernel
			}
			return &wire.GuestError{Kind: kind, Op: "root", Message: fmt.Sprintf("step %d %s: %v", i, st, err)}
		}
	}
	return nil
}

// kernelFault: no such device (driver missing, disk not seen) or no such
// filesystem type (overlay, cgroup2 absent).
func kernelFault(err error) bool {
	return errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENXIO)
}

func apply(st Step) error {
	switch st.Op {
	case OpMkdir:
		return os.MkdirAll(st.Dst, 0o755)
	case OpMount:
		if st.Src != "" && st.FSType != "" && st.Src[0] == '/' {
			if _, err := os.Stat(st.Src); err != nil {
				return fmt.Errorf("device %s: %w (is virtio_blk loaded and the disk attached?)", st.Src, err)
			}
		}
		return unix.Mount(st.Src, st.Dst, st.FSType, st.Flags, st.Data)
	case OpMove:
		return unix.Mount(st.Src, st.Dst, "", unix.MS_MOVE, "")
	case OpSwitch:
		if err := unix.Chdir(st.Src); err != nil {
			return err
		}
		if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("move %s onto /: %w", st.Src, err)
		}
		if err := unix.Chroot("."); err != nil {
			return err
		}
		return unix.Chdir("/")
	}
	return fmt.Errorf("unknown step %q", st.Op)
}

func (s Step) String() string {
	switch s.Op {
	case OpMount:
		return fmt.Sprintf("mount -t %q %s %s (flags %#x, %q)", s.FSType, s.Src, s.Dst, s.Flags, s.Data)
	case OpMove:
		return "mount --move " + s.Src + " " + s.Dst
	case OpSwitch:
		return "switch root to " + s.Src
	}
	return string(s.Op) + " " + s.Dst
}
