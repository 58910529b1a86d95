package procfs

import "testing"

func TestParseMeminfo(t *testing.T) {
	got := parseMeminfo("MemTotal:        1004244 kB\nMemFree:          712340 kB\nHugePages_Total:       0\nbad line\n")
	want := map[string]int64{"MemTotal": 1004244, "MemFree": 712340, "HugePages_Total": 0}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
	if parseMeminfo("") != nil {
		t.Error("an unreadable meminfo parsed as non-nil")
	}
}
