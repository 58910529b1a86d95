package scenario

import "testing"

func TestResolveRollingUpdate(t *testing.T) {
	tests := []struct {
		replicas               int
		surge, unavail         string
		wantSurge, wantUnavail int
		wantErr                bool
	}{
		{3, "25%", "25%", 1, 0, false}, // 0.75 -> surge 1 (up), unavailable 0 (down)
		{4, "25%", "25%", 1, 1, false},
		{10, "25%", "25%", 3, 2, false}, // 2.5 -> 3 and 2
		{1, "25%", "25%", 1, 0, false},
		{3, "0", "0", 0, 1, false}, // both zero: unavailable forced to 1
		{3, "0%", "0%", 0, 1, false},
		{3, "1", "0", 1, 0, false},
		{3, "0", "1", 0, 1, false},
		{5, "100%", "50%", 5, 2, false},
		{3, "x", "1", 0, 0, true},
		{3, "-1", "1", 0, 0, true},
		{3, "1", "5.5%", 0, 0, true},
	}
	for _, tt := range tests {
		s, u, err := ResolveRollingUpdate(tt.replicas, tt.surge, tt.unavail)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%d %s %s: err=%v", tt.replicas, tt.surge, tt.unavail, err)
		}
		if err == nil && (s != tt.wantSurge || u != tt.wantUnavail) {
			t.Errorf("%d %s %s: got surge=%d unavailable=%d, want %d %d", tt.replicas, tt.surge, tt.unavail, s, u, tt.wantSurge, tt.wantUnavail)
		}
	}
}
