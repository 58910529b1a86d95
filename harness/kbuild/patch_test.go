package kbuild

import (
	"reflect"
	"testing"
)

func TestFailedHunks(t *testing.T) {
	out := `patching file include/net/ip_vs.h
patching file net/netfilter/ipvs/ip_vs_core.c
Hunk #1 succeeded at 1977 (offset 1 line).
Hunk #2 FAILED at 2053.
1 out of 2 hunks FAILED -- saving rejects to file net/netfilter/ipvs/ip_vs_core.c.rej
checking file 'Documentation/x.rst'
Reversed (or previously applied) patch detected!  Skipping patch.
`
	want := []string{
		"net/netfilter/ipvs/ip_vs_core.c: Hunk #2 FAILED at 2053.",
		"Documentation/x.rst: Reversed (or previously applied) patch detected!  Skipping patch.",
	}
	if got := failedHunks(out); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{n: 2}
	tb.Write([]byte("a\nb\nc"))
	tb.Write([]byte("d\ne"))
	if got := tb.String(); got != "b\ncd\ne" {
		t.Errorf("got %q", got)
	}
}
