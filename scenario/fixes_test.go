package scenario

import "testing"

func TestFixSetStates(t *testing.T) {
	s := FixSet{FixA: true, FixC: false}
	if got := s.String(); got != "A+ B? C-" {
		t.Errorf("String() = %q, want A+ B? C-", got)
	}
	if got := JoinFixes(s.With(FixPresent)); got != "A" {
		t.Errorf("present = %s", got)
	}
	if got := JoinFixes(s.With(FixMissing)); got != "C" {
		t.Errorf("missing = %s", got)
	}
	if got := JoinFixes(s.With(FixUnknown)); got != "B" {
		t.Errorf("unknown = %s", got)
	}
	if got := JoinFixes(nil); got != "none" {
		t.Errorf("empty list = %s", got)
	}
	if got := (FixSet(nil)).String(); got != "A? B? C?" {
		t.Errorf("nil set = %q", got)
	}
}
