package k8s

import (
	"debug/elf"
	"fmt"
)

// IsStatic reports whether the ELF file at path needs no dynamic loader (no
// PT_INTERP program header): what CGO_ENABLED=0 should have produced.
func IsStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, fmt.Errorf("read ELF %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}
