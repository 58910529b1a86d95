package run

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rolloutlab/rolloutlab/harness/kernel"
)

func TestKernelBootFallsBackToTheBzImage(t *testing.T) {
	dir := t.TempDir()
	vmlinuz := filepath.Join(dir, "vmlinuz")
	if err := os.WriteFile(vmlinuz, make([]byte, 8192), 0o644); err != nil { // no setup header
		t.Fatal(err)
	}
	for name, k := range map[string]*kernel.Prepared{
		"no PVH entry":  {Entry: &kernel.Entry{}, Vmlinuz: vmlinuz, VmlinuzSHA256: "00112233445566778899"},
		"a local build": {Entry: &kernel.Entry{Local: &kernel.LocalKernel{}}, Vmlinuz: vmlinuz, VmlinuzSHA256: "00112233445566778899"},
	} {
		b, err := kernelBoot(t.Context(), dir, k)
		if err != nil || b.Protocol != "bzimage" || b.Path != vmlinuz || b.Why == "" {
			t.Errorf("%s: %+v, %v", name, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pvh", "0011223344556677")); err == nil {
		t.Error("a failed unpack left a cache entry")
	}
	env := &Env{Kernel: &kernel.Prepared{Vmlinuz: vmlinuz}}
	if env.kernelPath() != vmlinuz || env.bootProtocol() != "bzimage" {
		t.Errorf("an Env without KernelBoot: %s %s", env.kernelPath(), env.bootProtocol())
	}
}
