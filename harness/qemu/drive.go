package qemu

import (
	"fmt"
)

// Cache is a QEMU drive cache mode.
type Cache string

const (
	CacheDefault Cache = ""       // QEMU's default (writeback)
	CacheUnsafe  Cache = "unsafe" // no flushes: for scratch disks thrown away after the boot
)

// Drive is one raw disk image on virtio-blk. Drives appear in the guest in
// Config order: the first is /dev/vda, the second /dev/vdb, ...
type Drive struct {
	Path     string
	ReadOnly bool
	Cache    Cache
}

// maxDrives keeps guest names to vda..vdz.
const maxDrives = 26

// driveArgs renders the -drive options; empty for no drives.
func driveArgs(ds []Drive) ([]string, error) {
	if len(ds) > maxDrives {
		return nil, fmt.Errorf("%d drives: at most %d", len(ds), maxDrives)
	}
	var a []string
	for i, d := range ds {
		if d.Path == "" {
			return nil, fmt.Errorf("drive %d has no path", i)
		}
		if d.Cache != CacheDefault && d.Cache != CacheUnsafe {
			return nil, fmt.Errorf("drive %s: unknown cache mode %q (want unsafe or empty)", d.Path, d.Cache)
		}
		if d.ReadOnly && d.Cache == CacheUnsafe {
			return nil, fmt.Errorf("drive %s: cache=unsafe on a read-only drive makes no sense", d.Path)
		}
		opt := "file=" + escapeOpt(d.Path) + ",format=raw,if=virtio"
		if d.ReadOnly {
			opt += ",readonly=on"
		}
		if d.Cache != CacheDefault {
			opt += ",cache=" + string(d.Cache)
		}
		a = append(a, "-drive", opt)
	}
	return a, nil
}

// GuestDevice is the guest's block device for drive index i (0 -> /dev/vda).
func GuestDevice(i int) string { return "/dev/vd" + string(rune('a'+i)) }
