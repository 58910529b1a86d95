package wire

import (
	"strings"
	"testing"
)

func TestRootSpecValid(t *testing.T) {
	for _, tc := range []struct {
		name string
		root *RootSpec
		err  string
	}{
		{"no root", nil, ""},
		{"engine", &RootSpec{Lower: "/dev/vda", Scratch: "/dev/vdb", Engine: true}, ""},
		{"same device", &RootSpec{Lower: "/dev/vda", Scratch: "/dev/vda"}, "both"},
		{"empty lower", &RootSpec{Scratch: "/dev/vdb"}, "lower device"},
		{"not virtio", &RootSpec{Lower: "/dev/sda", Scratch: "/dev/vdb"}, "want /dev/vd"},
		{"partition", &RootSpec{Lower: "/dev/vda", Scratch: "/dev/vdb1"}, "scratch device"},
		{"path trick", &RootSpec{Lower: "/dev/vda/../sda", Scratch: "/dev/vdb"}, "lower device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Request{Mode: ModeExec, Command: []string{"true"}, Root: tc.root}
			err := r.Valid()
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				b, err := EncodeRequest(r)
				if err != nil {
					t.Fatal(err)
				}
				back, err := DecodeRequest(b)
				if err != nil {
					t.Fatal(err)
				}
				if (back.Root == nil) != (tc.root == nil) || back.Root != nil && *back.Root != *tc.root {
					t.Fatalf("round trip: %+v, want %+v", back.Root, tc.root)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if _, err := DecodeRequest([]byte(`{"mode":"exec","command":["true"],"root":{"lower":"/dev/vda","scratch":"/dev/vda"}}`)); err == nil {
				t.Fatal("guest side accepted a bad root")
			}
		})
	}
}
