package report

import (
	"slices"
	"testing"
)

func TestRowOrder(t *testing.T) {
	row := func(tier, kernel, release string) *Row { return &Row{Tier: tier, Kernel: kernel, Release: release} }
	want := []*Row{
		row("dataplane", "5.10", "5.10.223"),
		row("dataplane", "5.10-revert-C", "5.10.223"), // same release: by name
		row("dataplane", "6.1", "6.1.176"),
		row("dataplane", "6.12.43", "6.12.43+deb13-cloud-amd64"), // 12 > 1: numerically, not as text
		row("dataplane", "6.12", "6.12.117"),                     // 117 > 43
		row("dataplane", "7.2", "7.2.13"),
		row("dataplane", "bzImage", ""), // no release: last
		row("kube-proxy", "5.10-revert-C", "5.10.223"),
		row("mixed", "6.1", "6.1.176"), // a tier scenario does not know: after its tiers
	}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortStableFunc(got, compareRows)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: got %s %s, want %s %s", i, got[i].Tier, got[i].Kernel, want[i].Tier, want[i].Kernel)
		}
	}
}
