package run

import "testing"

func TestOwnFailures(t *testing.T) {
	joined := "guest scenario error during scenario: 2 errors occurred:\n\t* cell ipvs-reuse0-kind: create: kind create cluster (kind-stock, mode ipvs) after 17m9s: exit status 1\n\t* cell iptables-kind: rollout: kubectl rollout status: exit status 1: Waiting...\nerror: timed out\n\n"
	for _, tc := range []struct{ cell, want string }{
		{"ipvs-reuse0-kind", "guest scenario error during scenario: cell ipvs-reuse0-kind: create: kind create cluster (kind-stock, mode ipvs) after 17m9s: exit status 1"},
		{"iptables-kind", "guest scenario error during scenario: cell iptables-kind: rollout: kubectl rollout status: exit status 1: Waiting...\nerror: timed out"},
		// no entry of its own: the whole message
		{"nftables-kind", joined},
	} {
		if got := ownFailures(joined, tc.cell); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.cell, got, tc.want)
		}
	}
	if got := ownFailures("guest harness error during boot: no disk", "x"); got != "guest harness error during boot: no disk" {
		t.Errorf("a plain error changed: %q", got)
	}
}
