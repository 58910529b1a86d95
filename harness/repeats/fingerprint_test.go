package repeats

import (
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
)

// A result from before qemu.cpu_model keeps its print (its repeats still
// pool with each other); a recorded model makes a group of its own.
func TestEnvPrintCPUModel(t *testing.T) {
	old := &resultfile.File{QEMU: resultfile.QEMUInfo{Accel: "tcg", CPUs: 2, MemoryMiB: 1024}}
	old.Kernel.VmlinuzSHA256, old.Image.SHA256 = "k", "i"
	// sha256 of ["k","i","tcg",2,1024], the print before cpu_model existed
	const printBefore = "62500f80d3d7"
	if got := envPrint(old); got != printBefore {
		t.Errorf("print of a result without cpu_model changed: %s, want %s", got, printBefore)
	}
	if m := old.QEMU.Model(); m != "max" {
		t.Errorf("model of an old TCG result: %q, want max", m)
	}
	recorded := *old
	recorded.QEMU.CPUModel = "max,-erms,-fsrm"
	if envPrint(&recorded) == envPrint(old) {
		t.Error("results on two CPU models share a print: their repeats would pool")
	}
	kvm := resultfile.QEMUInfo{Accel: "kvm"}
	if m := kvm.Model(); m != "host" {
		t.Errorf("model of an old KVM result: %q, want host", m)
	}
}
