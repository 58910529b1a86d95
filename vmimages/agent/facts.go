package main

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/procfs"
	"github.com/rolloutlab/rolloutlab/wire"
)

// uname is the running kernel's identity: its release names the module
// directory before anything is mounted, and the facts report both fields.
func uname() unix.Utsname {
	var u unix.Utsname
	_ = unix.Uname(&u)
	return u
}

func gatherFacts(u unix.Utsname, bootToAgent time.Duration) wire.Facts {
	return wire.Facts{
		KernelRelease: unix.ByteSliceToString(u.Release[:]),
		KernelVersion: unix.ByteSliceToString(u.Version[:]),
		CPUs:          runtime.NumCPU(),
		BootToAgent:   scenario.Duration(bootToAgent),
	}
}

// refreshFacts re-reads what module loading can change.
func refreshFacts(f wire.Facts) wire.Facts {
	f.Clocksource = readTrim("/sys/devices/system/clocksource/clocksource0/current_clocksource")
	f.Cmdline = readTrim("/proc/cmdline")
	f.MemTotalKiB = procfs.MeminfoKiB()["MemTotal"]
	if first, err := firstLine("/proc/net/ip_vs"); err == nil {
		f.IPVS = true
		f.IPVSVersion = first
	}
	_, err := os.Stat("/proc/sys/net/netfilter/nf_conntrack_max")
	f.Conntrack = err == nil
	f.Sysctls = readSysctls()
	return f
}

// readSysctls reads back the settings the scenario depends on, so a result
// records what was in effect rather than what was asked for.
func readSysctls() map[string]string {
	out := map[string]string{}
	paths, _ := filepath.Glob("/proc/sys/net/ipv4/vs/*")
	paths = append(paths, "/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv4/ip_local_port_range",
		"/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait", "/proc/sys/net/bridge/bridge-nf-call-iptables")
	for _, p := range paths {
		if v, err := os.ReadFile(p); err == nil {
			key := strings.ReplaceAll(strings.TrimPrefix(p, "/proc/sys/"), "/", ".")
			out[key] = strings.Join(strings.Fields(string(v)), " ")
		}
	}
	return out
}

func readTrim(p string) string {
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}

func firstLine(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Scan()
	return strings.TrimSpace(s.Text()), nil
}
