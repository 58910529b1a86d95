package qemu

import (
	"slices"
	"strings"
	"testing"
)

func TestArgsDrives(t *testing.T) {
	base := Config{Accel: AccelTCG, Kernel: "k", Initrd: "i"}
	for _, tc := range []struct {
		name   string
		drives []Drive
		want   []string // the -drive values, in order
		err    string
	}{
		{name: "none", drives: nil, want: nil},
		{
			name:   "engine root and scratch",
			drives: []Drive{{Path: "/c/engine.ext4", ReadOnly: true}, {Path: "/o/scratch.ext4", Cache: CacheUnsafe}},
			want: []string{
				"file=/c/engine.ext4,format=raw,if=virtio,readonly=on",
				"file=/o/scratch.ext4,format=raw,if=virtio,cache=unsafe",
			},
		},
		{name: "comma in path", drives: []Drive{{Path: "/a,b/d.img"}}, want: []string{"file=/a,,b/d.img,format=raw,if=virtio"}},
		{name: "no path", drives: []Drive{{}}, err: "no path"},
		{name: "bad cache", drives: []Drive{{Path: "p", Cache: "none"}}, err: "unknown cache mode"},
		{name: "unsafe read-only", drives: []Drive{{Path: "p", ReadOnly: true, Cache: CacheUnsafe}}, err: "read-only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Drives = tc.drives
			a, err := Args(c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, s := range a {
				if s == "-drive" {
					got = append(got, a[i+1])
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("drives = %q, want %q", got, tc.want)
			}
			if len(tc.want) > 0 && !strings.Contains(CommandLine("qemu", a), "-drive") {
				t.Error("dry-run print lacks the drives")
			}
		})
	}
}

func TestGuestDevice(t *testing.T) {
	if GuestDevice(0) != "/dev/vda" || GuestDevice(1) != "/dev/vdb" {
		t.Fatal(GuestDevice(0), GuestDevice(1))
	}
}
