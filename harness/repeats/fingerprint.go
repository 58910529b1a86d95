package repeats

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
)

func envPrint(f *resultfile.File) string {
	b, _ := json.Marshal([]any{f.Kernel.VmlinuzSHA256, f.Image.SHA256, f.QEMU.Accel, f.QEMU.CPUs, f.QEMU.MemoryMiB})
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
