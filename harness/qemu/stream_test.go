package qemu

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSplitterAcrossReads(t *testing.T) {
	var sp splitter
	if got := sp.feed([]byte("one\ntw")); len(got) != 1 || string(got[0]) != "one" {
		t.Fatalf("first read: %q", got)
	}
	got := sp.feed([]byte("o\r\nthree\n\npart"))
	if want := []string{"two", "three", ""}; !slices.Equal(strs(got), want) {
		t.Fatalf("second read: %q, want %q", got, want)
	}
	if r := sp.rest(); string(r) != "part" {
		t.Errorf("rest %q", r)
	}
	if r := sp.rest(); r != nil {
		t.Errorf("rest twice: %q", r)
	}
}

// A log that fails is reported, but the port is still read to the end:
// a port nobody drains would stall the guest.
func TestPumpKeepsReadingWhenTheLogFails(t *testing.T) {
	out := make(chan []byte, 10)
	in := iotest.OneByteReader(strings.NewReader("a\nb\nc"))
	err := pump(in, failWriter{}, out, make(chan struct{}))
	close(out)
	var got []string
	for l := range out {
		got = append(got, string(l))
	}
	if !slices.Equal(got, []string{"a", "b", "c"}) || err == nil || !strings.Contains(err.Error(), "write log") {
		t.Errorf("lines %q, err %v", got, err)
	}
}

func TestPumpStops(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	// Nobody receives: pump must return instead of blocking on out.
	if err := pump(strings.NewReader("a\nb\n"), io.Discard, make(chan []byte), stop); err != nil {
		t.Errorf("err %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func strs(b [][]byte) []string {
	var s []string
	for _, x := range b {
		s = append(s, string(x))
	}
	return s
}
