package kernel

import (
	"errors"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in        string
		want      string // entry name; "" = error
		ambiguous bool
	}{
		{"", "6.1", false},
		{"6.1", "6.1", false},
		{"6.12", "6.12", false},
		{"7.2", "7.2", false},
		{"5.10", "5.10", false},
		{"5.10.223", "5.10", false},
		{"6.1.176", "6.1", false},
		{" 6.1 ", "6.1", false},
		{"6.12.117+deb13-cloud-amd64", "6.12", false}, // uname -r
		{"7", "7.2", false},
		{"6", "", true},
		{"6.1.17", "", false}, // not on a dot boundary of 6.1.176
		{"banana", "", false},
		{"99.1", "", false},
		{"5.10-revert-ABC", "5.10-revert-ABC", false},
		{"5.10-revert-X", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := c.Resolve(tt.in)
			if tt.want != "" {
				if err != nil || e.Name != tt.want {
					t.Fatalf("Resolve(%q) = %v, %v; want %s", tt.in, e, err, tt.want)
				}
				return
			}
			var ue *UnknownKernelError
			if !errors.As(err, &ue) {
				t.Fatalf("Resolve(%q) = %v, %v; want *UnknownKernelError", tt.in, e, err)
			}
			if (len(ue.Ambiguous) > 0) != tt.ambiguous {
				t.Errorf("ambiguous = %v, want %v", ue.Ambiguous, tt.ambiguous)
			}
			msg := err.Error()
			for _, k := range c.Kernels {
				if !strings.Contains(msg, k.Name+" ("+k.Release) {
					t.Errorf("error %q does not list %s (%s", msg, k.Name, k.Release)
				}
			}
		})
	}
}

func TestResolveMessage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Resolve("banana")
	want := `unknown kernel "banana": valid values are 5.10 (5.10.223, Debian bullseye cloud), 6.1 (6.1.176, Debian bookworm cloud) [default], `
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v\nwant prefix %s", err, want)
	}
	_, err = c.Resolve("6")
	if err == nil || !strings.HasPrefix(err.Error(), `ambiguous kernel (matches 6.1, 6.12) "6": valid values are`) {
		t.Errorf("got %v", err)
	}
}

func TestVersionPrefix(t *testing.T) {
	for _, tt := range []struct {
		p, r string
		want bool
	}{
		{"6.1", "6.1.176", true}, {"6.1", "6.12.117", false}, {"6", "6.12.117", true},
		{"6.1.176", "6.1.176", true}, {"6.1.1", "6.1.176", false}, {"", "6.1", false},
	} {
		if got := versionPrefix(tt.p, tt.r); got != tt.want {
			t.Errorf("versionPrefix(%q, %q) = %v", tt.p, tt.r, got)
		}
	}
}
