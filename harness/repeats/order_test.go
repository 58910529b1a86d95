package repeats

import (
	"slices"
	"testing"

	"github.com/rolloutlab/rolloutlab/scenario"
)

func TestCellOrder(t *testing.T) {
	// The committed matrix's columns, shuffled.
	names := map[string]bool{}
	for _, n := range []string{"nftables-kp1.34.2", "ipvs-reuse2", "iptables", "ipvs-kp1.34.2", "ipvs-reuse0-nodest0",
		"ipvs-reuse0", "nftables", "ipvs-kp1.21.8", "iptables-kp1.34.2", "ipvs-reuse1"} {
		names[n] = true
	}
	want := []string{"ipvs-reuse0", "ipvs-reuse1", "ipvs-reuse2", "iptables", "nftables",
		"iptables-kp1.34.2", "ipvs-kp1.21.8", "ipvs-kp1.34.2", "ipvs-reuse0-nodest0", "nftables-kp1.34.2"}
	if got := CellOrder(names); !slices.Equal(got, want) {
		t.Errorf("CellOrder = %v, want %v", got, want)
	}
}

// The dimension cells are what the default preset runs, in its order.
func TestDimensionCellsAreTheDefaultPreset(t *testing.T) {
	cells, err := scenario.ParseSpecs("default")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range cells {
		want = append(want, c.WithDefaults().Name)
	}
	if got := dimensionCells(); !slices.Equal(got, want) {
		t.Errorf("dimensionCells = %v, default preset %v", got, want)
	}
}
