package qemu

import (
	"slices"
	"strings"
	"testing"
)

func TestArgsTCG(t *testing.T) {
	a, err := Args(Config{Accel: AccelTCG, Kernel: "/k/vmlinuz", Initrd: "/i/initrd", Cmdline: "console=ttyS0", ConsoleLog: "/o/con,sole.log", ControlLog: "/o/ctl.log", CPUs: 2, MemoryMiB: 768})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(a, " ")
	for _, want := range []string{
		"-nic none", "-no-reboot", "-nodefaults", "-smp 2", "-m 768",
		"-accel tcg,thread=multi", "-cpu max", "-kernel /k/vmlinuz", "-initrd /i/initrd",
		"-append console=ttyS0",
		"-chardev file,id=con,path=/o/con,,sole.log -serial chardev:con",
		"-chardev file,id=ctl,path=/o/ctl.log -serial chardev:ctl",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("args lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "kvm") {
		t.Errorf("TCG args mention kvm: %s", got)
	}
	// The console must be the first serial port (ttyS0), control the second.
	if i, j := slices.Index(a, "chardev:con"), slices.Index(a, "chardev:ctl"); i < 0 || j < 0 || i > j {
		t.Errorf("serial order wrong: console at %d, control at %d", i, j)
	}
}

func TestArgsKVMAndDefaults(t *testing.T) {
	a, err := Args(Config{Accel: AccelKVM, Kernel: "k", Initrd: "i"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(a, " ")
	for _, want := range []string{"-machine q35,accel=kvm", "-cpu host", "-smp 1", "-m 1024", "-serial null"} {
		if !strings.Contains(got, want) {
			t.Errorf("args lack %q: %s", want, got)
		}
	}
}

func TestArgsInteractive(t *testing.T) {
	a, err := Args(Config{Accel: AccelTCG, Kernel: "k", Initrd: "i", Interactive: true, ConsoleLog: "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(a, " ")
	if !strings.Contains(got, "-chardev stdio,id=con,mux=on,signal=off") || strings.Contains(got, "ignored") {
		t.Errorf("interactive console wrong: %s", got)
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

func TestTailSplitsAcrossPolls(t *testing.T) {
	p := t.TempDir() + "/f"
	tl := &tail{path: p, keep: 8}
	write := func(s string) {
		f, err := openAppend(p)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(s)
		f.Close()
	}
	write("one\ntw")
	if got := tl.lines(); len(got) != 1 || string(got[0]) != "one" {
		t.Fatalf("first poll: %q", got)
	}
	write("o\r\nthree\n")
	got := tl.lines()
	if len(got) != 2 || string(got[0]) != "two" || string(got[1]) != "three" {
		t.Fatalf("second poll: %q", got)
	}
	if string(tl.kept()) != "\r\nthree\n" {
		t.Errorf("kept tail %q", tl.kept())
	}
}
