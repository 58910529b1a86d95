// Package qemu builds QEMU command lines (pure, unit-tested, printable as a
// dry run), decides which accelerator really works, and runs a guest with a
// watchdog, telling a kernel that failed from a harness that failed.
package qemu

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// Accel is the accelerator a guest runs under.
type Accel string

const (
	AccelKVM Accel = "kvm"
	AccelTCG Accel = "tcg"
)

// Config describes one guest. Paths must already exist; Args does no I/O.
type Config struct {
	Binary    string // default qemu-system-x86_64
	Accel     Accel
	CPUs      int // default 1
	MemoryMiB int // default 1024
	Kernel    string
	Initrd    string
	Cmdline   string
	// Console: where ttyS0 goes. QEMU writes it to its stdout, which Run
	// reads as a stream and copies to ConsoleLog. Empty ConsoleLog with
	// Interactive=false discards it; Interactive attaches it to the
	// harness's stdio (for `shell`).
	ConsoleLog  string
	Interactive bool
	// ControlLog receives ttyS1, the agent's control channel. QEMU connects
	// ttyS1 to a unix socket Run listens on (see ControlSocket); Run copies
	// every byte it reads there to ControlLog.
	ControlLog string
	// Drives are raw disk images on virtio-blk, /dev/vda first.
	Drives []Drive
}

// maxSocketPath is the longest unix socket path Linux takes (sun_path is
// 108 bytes including the terminating NUL).
const maxSocketPath = 107

// ControlSocket is the unix socket QEMU connects ttyS1 to: next to
// ControlLog, or under /tmp when that path is too long for a socket.
// It is derived, not configured, so Args and Run always agree.
func ControlSocket(c Config) string { return socketBeside(c, "sock") }

// QMPSocket is where QEMU serves its QMP monitor, derived like
// ControlSocket: the watchdog asks a hung guest for an NMI there before it
// kills it (see traceHang). None for an interactive guest.
func QMPSocket(c Config) string {
	if c.Interactive {
		return ""
	}
	return socketBeside(c, "qmp.sock")
}

func socketBeside(c Config, suffix string) string {
	if c.ControlLog == "" {
		return ""
	}
	p := strings.TrimSuffix(c.ControlLog, ".log") + "." + suffix
	if len(p) <= maxSocketPath {
		return p
	}
	h := sha256.Sum256([]byte(c.ControlLog))
	return fmt.Sprintf("/tmp/rolloutlab-%x.%s", h[:8], suffix)
}

// DefaultCmdline is the kernel command line every guest gets; extra
// options are appended. panic=-1 plus -no-reboot turns a panic into a QEMU
// exit, so a dead kernel never looks like a slow one. unknown_nmi_panic
// turns the NMI the watchdog injects into a hung guest into a panic, and
// panic_print=0x60 makes every panic replay the whole kernel log (quiet
// hid it) and every CPU's backtrace: a hang or a panic shows where the
// kernel was. Neither changes a guest that does not panic; nmi_watchdog=0
// keeps the lockup detector's perf NMIs (KVM) from ever reaching the
// unknown-NMI path.
const DefaultCmdline = "console=ttyS0 rdinit=/init panic=-1 oops=panic quiet loglevel=4 " +
	"8250.nr_uarts=2 i8042.noaux i8042.nokbd tsc=reliable no_timer_check " +
	"random.trust_cpu=on mitigations=off unknown_nmi_panic panic_print=0x60 nmi_watchdog=0"

// TCGCPUModel is the guest CPU under TCG: QEMU's max without ERMS and
// FSRM. With them Linux and Go copy and clear memory with rep movsb/stosb,
// which TCG (QEMU 7.2) runs one byte per pass through the instruction;
// without them they use 8- and 16-byte moves. Measured on 6.1 (2026-12-07):
// the 20 MB initramfs unpacks in 50-82 ms instead of ~230 ms, and every
// copy to and from a socket gets cheaper too. The IPVS, conntrack and
// netfilter code paths do not depend on either flag.
const TCGCPUModel = "max,-erms,-fsrm"

// CPUModel is the -cpu value a guest gets under a: the host's own CPU
// with KVM, TCGCPUModel otherwise. Results record it (resultfile.QEMUInfo).
func CPUModel(a Accel) string {
	if a == AccelKVM {
		return "host"
	}
	return TCGCPUModel
}

// Args returns the QEMU argument vector (without the binary).
func Args(c Config) ([]string, error) {
	if c.Kernel == "" || c.Initrd == "" {
		return nil, fmt.Errorf("qemu config needs a kernel and an initrd (got kernel %q, initrd %q)", c.Kernel, c.Initrd)
	}
	cpus, mem := c.CPUs, c.MemoryMiB
	if cpus <= 0 {
		cpus = 1
	}
	if mem <= 0 {
		mem = 1024
	}
	a := []string{
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		// No NIC at all: scenario traffic must stay inside the guest.
		"-nic", "none",
		"-smp", fmt.Sprint(cpus), "-m", fmt.Sprint(mem),
	}
	switch c.Accel {
	case AccelKVM:
		a = append(a, "-machine", "q35,accel=kvm", "-cpu", CPUModel(c.Accel))
	case AccelTCG:
		// Multi-threaded TCG lets each vCPU use a host core.
		a = append(a, "-machine", "q35", "-accel", "tcg,thread=multi", "-cpu", CPUModel(c.Accel))
	default:
		return nil, fmt.Errorf("unknown accelerator %q (want kvm or tcg)", c.Accel)
	}
	a = append(a, "-kernel", c.Kernel, "-initrd", c.Initrd, "-append", c.Cmdline)
	drives, err := driveArgs(c.Drives)
	if err != nil {
		return nil, err
	}
	a = append(a, drives...)
	if c.Interactive {
		// signal=off: Ctrl-C goes to the guest shell; Ctrl-A x quits QEMU.
		a = append(a, "-chardev", "stdio,id=con,mux=on,signal=off", "-serial", "chardev:con", "-mon", "chardev=con,mode=readline")
	} else if c.ConsoleLog != "" {
		// QEMU's stdout is a pipe Run reads as data arrives (QEMU's own
		// diagnostics go to stderr, so the stream is the console alone).
		a = append(a, "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con")
	} else {
		a = append(a, "-serial", "null")
	}
	if c.ControlLog != "" {
		// QEMU is the client of a socket the harness already listens on:
		// it connects before the guest runs, so no early message is lost,
		// and with no listener it fails at once instead of waiting.
		a = append(a, "-chardev", "socket,id=ctl,path="+escapeOpt(ControlSocket(c))+",server=off", "-serial", "chardev:ctl")
	} else {
		a = append(a, "-serial", "null")
	}
	if q := QMPSocket(c); q != "" {
		a = append(a, "-qmp", "unix:"+escapeOpt(q)+",server=on,wait=off")
	}
	return a, nil
}

// escapeOpt doubles commas, QEMU's escape inside option values.
func escapeOpt(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// CommandLine renders binary+args for a dry-run print, shell-quoted.
func CommandLine(binary string, args []string) string {
	parts := []string{shellQuote(binary)}
	for _, s := range args {
		parts = append(parts, shellQuote(s))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
