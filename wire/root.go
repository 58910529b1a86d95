package wire

import (
	"fmt"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// SeedMount is where the new root sees the scratch disk's seed/ directory:
// files the host put on the scratch disk for this boot (image archives).
const SeedMount = "/seed"

// RootSpec asks the agent to leave the initramfs for a disk root before the
// mode runs: an overlay of a read-only lower disk (the engine root) and an
// upper dir on a writable scratch disk, which also holds /var/lib/docker and
// /var/lib/containerd as plain ext4 (never overlay on overlay).
type RootSpec struct {
	// Lower is the read-only ext4 root device, e.g. /dev/vda.
	Lower string `json:"lower"`
	// Scratch is the writable ext4 device, e.g. /dev/vdb.
	Scratch string `json:"scratch"`
	// Engine starts containerd and dockerd in the new root before the mode
	// runs, and stops them after.
	Engine bool `json:"engine,omitempty"`
	// EngineReady bounds the wait for dockerd to answer (the host scales it
	// for TCG); 0 means the agent's default.
	EngineReady scenario.Duration `json:"engine_ready,omitempty"`
}

// isVirtioDisk matches /dev/vd[a-z] (no regexp: wire is linked into every
// guest process, and a package-level regexp is compiled at each start).
func isVirtioDisk(dev string) bool {
	return len(dev) == len("/dev/vda") && strings.HasPrefix(dev, "/dev/vd") && dev[7] >= 'a' && dev[7] <= 'z'
}

// Valid checks the devices are virtio disks and distinct.
func (r RootSpec) Valid() error {
	for _, d := range []struct{ name, dev string }{{"lower", r.Lower}, {"scratch", r.Scratch}} {
		if !isVirtioDisk(d.dev) {
			return fmt.Errorf("root %s device %q: want /dev/vd[a-z]", d.name, d.dev)
		}
	}
	if r.EngineReady < 0 || r.EngineReady > 0 && !r.Engine {
		return fmt.Errorf("root engine_ready %s: only for an engine, and not negative", time.Duration(r.EngineReady))
	}
	if r.Lower == r.Scratch {
		return fmt.Errorf("root lower and scratch are both %s", r.Lower)
	}
	return nil
}
