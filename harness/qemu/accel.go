package qemu

import (
	"bytes"
	"fmt"
	"os"
)

// KVMCandidate says whether KVM is worth trying at all. It is only the first
// half of the decision: /dev/kvm can exist and open yet belong to a
// hypervisor that cannot run a normal guest (seen on these CI machines:
// the boot hangs after "Booting from ROM"), so a caller must still prove KVM
// with a real guest (clocksource kvm-clock) before trusting it.
func KVMCandidate(cpuinfo []byte) (ok bool, reason string) {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Sprintf("/dev/kvm not usable: %v", err)
	}
	f.Close()
	if !hasVirtFlag(cpuinfo) {
		return false, "/dev/kvm exists but the CPU flags show neither vmx nor svm (a paravirtual or nested KVM that cannot run normal guests)"
	}
	return true, "/dev/kvm usable and CPU has vmx/svm"
}

func hasVirtFlag(cpuinfo []byte) bool {
	for _, line := range bytes.Split(cpuinfo, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("flags")) {
			continue
		}
		for _, f := range bytes.Fields(line) {
			if string(f) == "vmx" || string(f) == "svm" {
				return true
			}
		}
	}
	return false
}

// Timeouts scales guest deadlines to the accelerator: TCG emulates every
// instruction and is 10-30x slower than KVM at boot.
type Timeouts struct {
	Boot  float64 // seconds until the agent's hello
	Scale float64 // multiplier for scenario work
}

// TimeoutsFor returns the deadlines used for accel.
func TimeoutsFor(a Accel) Timeouts {
	if a == AccelKVM {
		return Timeouts{Boot: 30, Scale: 1}
	}
	return Timeouts{Boot: 120, Scale: 3}
}
