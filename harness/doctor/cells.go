package doctor

import (
	"github.com/rolloutlab/rolloutlab/scenario"
)

// matrixKernels are the kernels of results/matrix.md whose fixes match a
// world's (the control kernels revert A and C from Debian's 5.10.223).
func matrixKernels(fixes scenario.FixSet) []string {
	a, _ := fixes.Has(scenario.FixA)
	c, _ := fixes.Has(scenario.FixC)
	switch {
	case a && c:
		return []string{"5.10", "6.1"}
	case a:
		return []string{"5.10-revert-C"}
	case c:
		return []string{"5.10-revert-A"}
	}
	return []string{"5.10-revert-AC"}
}

// cellsFor names the matrix cells (`kernel cell`) that back a world's prediction.
func cellsFor(w world) []string {
	if w.mode != scenario.ModeIPVS {
		return []string{"6.1 " + string(w.mode), "5.10-revert-ABC " + string(w.mode)}
	}
	if w.reuse == "0" && w.nodest == "0" {
		return []string{"5.10 ipvs-reuse0-nodest0", "6.1 ipvs-reuse0-nodest0"}
	}
	if w.measured != nil {
		return nil // measured here, not taken from the matrix
	}
	var out []string
	for _, k := range matrixKernels(w.fixes) {
		out = append(out, k+" ipvs-reuse"+w.reuse)
	}
	return out
}
