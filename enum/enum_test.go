package enum

import "testing"

func TestCheck(t *testing.T) {
	type color string
	valid := []color{"red", "green"}
	if err := Check("color", color("red"), valid); err != nil {
		t.Errorf("red: %v", err)
	}
	err := Check("color", color("blue"), valid)
	if err == nil || err.Error() != `color "blue": want one of red, green` {
		t.Errorf("blue: %v", err)
	}
}

func TestJoin(t *testing.T) {
	type color string
	if got := Join([]color{"red", "green"}, ", "); got != "red, green" {
		t.Errorf("Join = %q", got)
	}
	if got := Join([]color(nil), ", "); got != "" {
		t.Errorf("Join(nil) = %q", got)
	}
}
