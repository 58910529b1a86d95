package image

import (
	"testing"

	"github.com/rolloutlab/rolloutlab/vmimages"
)

// The committed engine.lock pins every root and the engine's run-time
// pieces that come in as dependencies, each once, from bookworm main.
func TestEngineLock(t *testing.T) {
	entries, err := ParseLock(vmimages.EngineLock())
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Package] = true
	}
	for _, p := range append(EngineRoots, "libc6", "libseccomp2", "libdevmapper1.02.1", "passwd") {
		if !have[p] {
			t.Errorf("engine.lock lacks %s (regenerate: vmimages/lock.sh -engine)", p)
		}
	}
	if engineKey(vmimages.EngineLock()) == engineKey(append(vmimages.EngineLock(), '\n')) {
		t.Error("the engine root's key ignores the lock's content")
	}
}
