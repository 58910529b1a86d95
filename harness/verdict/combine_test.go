package verdict

import "testing"

func TestCombineVerdicts(t *testing.T) {
	for _, tc := range []struct {
		in   []Status
		want Status
	}{
		{[]Status{Clean, Clean}, Clean},
		{[]Status{Affected, Clean}, Flaky},
		{[]Status{Clean, Affected, Clean}, Flaky},
		{[]Status{Affected, Error}, Affected},
		{[]Status{Error, Error}, Error},
		{nil, Error},
	} {
		if got := Combine(tc.in); got != tc.want {
			t.Errorf("Combine(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
