package repeats

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
)

// envPrint groups repeats that ran on the same kernel, image and machine.
// The CPU model joins the print only when recorded, so results from before
// it was (all "max" or "host") keep their prints.
func envPrint(f *resultfile.File) string {
	fields := []any{f.Kernel.VmlinuzSHA256, f.Image.SHA256, f.QEMU.Accel, f.QEMU.CPUs, f.QEMU.MemoryMiB}
	if f.QEMU.CPUModel != "" {
		fields = append(fields, f.QEMU.CPUModel)
	}
	b, _ := json.Marshal(fields)
	return shortHash(b)
}

func settingsPrint(c *resultfile.Cell) string {
	if c.Result == nil {
		return ""
	}
	b, _ := json.Marshal(c.Result.Cell)
	return shortHash(b)
}

func shortHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:6])
}
