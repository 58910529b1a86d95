package qemu

import (
	"slices"
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	long := "/" + strings.Repeat("d", 110) + "/control.log"
	for _, tc := range []struct {
		name    string
		cfg     Config
		want    []string
		notWant []string
	}{{
		name: "tcg with logs",
		cfg:  Config{Accel: AccelTCG, Kernel: "/k/vmlinuz", Initrd: "/i/initrd", Cmdline: "console=ttyS0", ConsoleLog: "/o/console.log", ControlLog: "/o/con,trol.log", CPUs: 2, MemoryMiB: 768},
		want: []string{
			"-nic none", "-no-reboot", "-nodefaults", "-smp 2", "-m 768",
			"-accel tcg,thread=multi", "-cpu max,-erms,-fsrm", "-kernel /k/vmlinuz", "-initrd /i/initrd",
			"-append console=ttyS0",
			// The console streams on QEMU's stdout; control is a socket
			// client of the harness's listener, next to control.log.
			"-chardev stdio,id=con,signal=off -serial chardev:con",
			"-chardev socket,id=ctl,path=/o/con,,trol.sock,server=off -serial chardev:ctl",
			// QMP, for the watchdog's NMI to a hung guest.
			"-qmp unix:/o/con,,trol.qmp.sock,server=on,wait=off",
		},
		notWant: []string{"kvm", "file,", "server=off,wait", "/o/console.log"},
	}, {
		name:    "kvm and defaults",
		cfg:     Config{Accel: AccelKVM, Kernel: "k", Initrd: "i"},
		want:    []string{"-machine q35,accel=kvm", "-cpu host", "-smp 1", "-m 1024", "-serial null -serial null"},
		notWant: []string{"-chardev"},
	}, {
		name:    "interactive",
		cfg:     Config{Accel: AccelTCG, Kernel: "k", Initrd: "i", Interactive: true, ConsoleLog: "ignored", ControlLog: "/o/control.log"},
		want:    []string{"-chardev stdio,id=con,mux=on,signal=off -serial chardev:con -mon chardev=con,mode=readline", "-chardev socket,id=ctl,path=/o/control.sock,server=off"},
		notWant: []string{"ignored", "-qmp"},
	}, {
		// sun_path holds 107 bytes (plus NUL); a deep output dir gets a /tmp socket.
		name:    "socket path too long",
		cfg:     Config{Accel: AccelTCG, Kernel: "k", Initrd: "i", ControlLog: long},
		want:    []string{"-chardev socket,id=ctl,path=/tmp/rolloutlab-", "-qmp unix:/tmp/rolloutlab-"},
		notWant: []string{strings.Repeat("d", 110)},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Args(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(a, " ")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("args lack %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("args contain %q:\n%s", w, got)
				}
			}
			// The console must be the first serial port (ttyS0), control the second.
			if i, j := slices.Index(a, "chardev:con"), slices.Index(a, "chardev:ctl"); i >= 0 && j >= 0 && i > j {
				t.Errorf("serial order wrong: console at %d, control at %d", i, j)
			}
		})
	}
}

func TestControlSocket(t *testing.T) {
	for log, want := range map[string]string{
		"":                                      "",
		"/o/control.log":                        "/o/control.sock",
		"/o/ctl":                                "/o/ctl.sock",
		"/o/x.sock":                             "/o/x.sock.sock", // never the log itself
		"/" + strings.Repeat("a", 101) + ".log": "/" + strings.Repeat("a", 101) + ".sock",
	} {
		if got := ControlSocket(Config{ControlLog: log}); got != want {
			t.Errorf("ControlSocket(%q) = %q, want %q", log, got, want)
		}
	}
	long := Config{ControlLog: "/" + strings.Repeat("a", 102) + ".log"}
	got := ControlSocket(long)
	if len(got) > maxSocketPath || !strings.HasPrefix(got, "/tmp/rolloutlab-") || got != ControlSocket(long) {
		t.Errorf("long path: %q (must be short, under /tmp, stable)", got)
	}
	if other := ControlSocket(Config{ControlLog: long.ControlLog + "x"}); other == got {
		t.Errorf("two long logs share socket %q", got)
	}
}

func TestArgsErrors(t *testing.T) {
	for name, c := range map[string]Config{
		"no kernel":   {Accel: AccelTCG, Initrd: "i"},
		"no initrd":   {Accel: AccelTCG, Kernel: "k"},
		"bad accel":   {Accel: "hvf", Kernel: "k", Initrd: "i"},
		"empty accel": {Kernel: "k", Initrd: "i"},
	} {
		if _, err := Args(c); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}

func TestCommandLineQuoting(t *testing.T) {
	got := CommandLine("qemu", []string{"-append", "console=ttyS0 quiet", "-m", "1024", "it's"})
	want := `qemu -append 'console=ttyS0 quiet' -m 1024 'it'\''s'`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestHasVirtFlag(t *testing.T) {
	cases := map[string]bool{
		"flags\t\t: fpu vme de pse vmx sse":    true,
		"flags\t\t: fpu svm":                   true,
		"flags\t\t: fpu vme hypervisor lm":     false,
		"model name : vmx in a name\nflags: x": false,
		"":                                     false,
	}
	for in, want := range cases {
		if got := hasVirtFlag([]byte(in)); got != want {
			t.Errorf("hasVirtFlag(%q) = %v, want %v", in, got, want)
		}
	}
}
