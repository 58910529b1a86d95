// Package probe runs the doctor's dataplane cells on the running kernel,
// with no VM: a child process in its own network, mount and PID namespaces
// runs vmimages/guest/runner.RunCells (which rewrites the namespace it runs
// in: it flushes nft, flushes IPVS, writes sysctls, adds routes), while the
// parent checks that the node's own namespace is left as it was found.
package probe

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Snapshot is the host network namespace's state, section by section.
type Snapshot struct {
	Sections map[string]string
	Sysctls  map[string]string
	Modules  []string
}

// section reads one part of the state; ok false: not readable without
// loading a module (then it is not read: a snapshot must change nothing).
type section struct {
	name  string
	read  func() (string, bool)
	empty func(string) bool // content that a freshly loaded module shows
}

var (
	counterRE = regexp.MustCompile(`\[\d+:\d+\]`)
	nftCntRE  = regexp.MustCompile(`counter packets \d+ bytes \d+`)
	lftRE     = regexp.MustCompile(`valid_lft \S+ preferred_lft \S+`)
)

func run(name string, args ...string) (string, bool) {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return fmt.Sprintf("(%s %s failed: %v)", name, strings.Join(args, " "), err), true
	}
	return string(out), true
}

func loaded(mod string) bool { _, err := os.Stat("/sys/module/" + mod); return err == nil }

func hasAny(prefixes ...string) func(string) bool {
	return func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			for _, p := range prefixes {
				if strings.HasPrefix(l, p) {
					return false
				}
			}
		}
		return true
	}
}

func sections() []section {
	return []section{
		{"iptables-save", func() (string, bool) {
			if !loaded("nf_tables") && !loaded("ip_tables") {
				return "", false
			}
			s, ok := run("iptables-save")
			return dropComments(counterRE.ReplaceAllString(s, "[]")), ok
		}, hasAny("-A ", "-N ")},
		{"nft list ruleset", func() (string, bool) {
			if !loaded("nf_tables") {
				return "", false
			}
			s, ok := run("nft", "list", "ruleset")
			return nftCntRE.ReplaceAllString(s, "counter"), ok
		}, func(s string) bool { return strings.TrimSpace(s) == "" }},
		{"ipvsadm -Ln", func() (string, bool) {
			if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
				return "", false
			}
			return run("ipvsadm", "-Ln")
		}, hasAny("TCP ", "UDP ", "SCTP ", "FWM ")},
		{"ip -o addr", func() (string, bool) { s, ok := run("ip", "-o", "addr"); return lftRE.ReplaceAllString(s, ""), ok }, nil},
		{"ip route show table all", func() (string, bool) { return run("ip", "route", "show", "table", "all") }, nil},
		{"ip -o link", func() (string, bool) { return run("ip", "-o", "link") }, nil},
		{"/run/netns", func() (string, bool) {
			ents, _ := os.ReadDir("/run/netns")
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			return strings.Join(names, "\n"), true
		}, nil},
	}
}

func dropComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// sysctlGlobs are the sysctls compared; nf_conntrack_count moves by itself.
var sysctlGlobs = []string{"net/ipv4/vs/*", "net/ipv4/ip_forward", "net/ipv4/ip_local_port_range",
	"net/netfilter/nf_conntrack_*", "net/ipv4/conf/all/*", "net/ipv4/conf/lo/*", "net/bridge/*"}

// Take reads the snapshot; it loads nothing and writes nothing.
func Take() Snapshot {
	s := Snapshot{Sections: map[string]string{}, Sysctls: map[string]string{}, Modules: modules()}
	for _, sec := range sections() {
		if v, ok := sec.read(); ok {
			s.Sections[sec.name] = v
		}
	}
	for _, g := range sysctlGlobs {
		files, _ := filepath.Glob("/proc/sys/" + g)
		for _, f := range files {
			n := strings.TrimPrefix(f, "/proc/sys/")
			if n == "net/netfilter/nf_conntrack_count" {
				continue
			}
			if b, err := os.ReadFile(f); err == nil {
				s.Sysctls[n] = strings.TrimSpace(string(b))
			}
		}
	}
	return s
}

func modules() []string {
	b, _ := os.ReadFile("/proc/modules")
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	sort.Strings(out)
	return out
}

// Comparison is what changed between two snapshots.
type Comparison struct {
	Diff     []string // changes: the probe failed to leave the host as it was
	Appeared []string // sections and sysctls that a loaded module brought, empty
	Loaded   []string // modules loaded in between
	Compared []string // what was compared
}

// Compare diffs before and after.
func Compare(before, after Snapshot) Comparison {
	var c Comparison
	for _, m := range after.Modules {
		if !slices.Contains(before.Modules, m) {
			c.Loaded = append(c.Loaded, m)
		}
	}
	for _, sec := range sections() {
		b, inB := before.Sections[sec.name]
		a, inA := after.Sections[sec.name]
		switch {
		case !inB && !inA:
			continue
		case !inB && sec.empty != nil && sec.empty(a):
			c.Appeared = append(c.Appeared, sec.name+" (empty)")
			continue
		case inB && !inA:
			c.Diff = append(c.Diff, sec.name+": readable before, not after")
		default:
			c.Diff = append(c.Diff, lineDiff(sec.name, b, a)...)
		}
		c.Compared = append(c.Compared, sec.name)
	}
	var names []string
	for n := range after.Sysctls {
		names = append(names, n)
	}
	for n := range before.Sysctls {
		if _, ok := after.Sysctls[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		b, inB := before.Sysctls[n]
		a, inA := after.Sysctls[n]
		switch {
		case !inB:
			c.Appeared = append(c.Appeared, n+"="+a)
		case !inA:
			c.Diff = append(c.Diff, "sysctl "+n+": "+b+" before, gone after")
		case a != b:
			c.Diff = append(c.Diff, "sysctl "+n+": "+b+" before, "+a+" after")
		}
	}
	c.Compared = append(c.Compared, fmt.Sprintf("%d sysctls", len(before.Sysctls)))
	return c
}

// lineDiff lists lines only in before (-) or only in after (+).
func lineDiff(name, before, after string) []string {
	if before == after {
		return nil
	}
	bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out []string
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, name+": - "+l)
		}
	}
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, name+": + "+l)
		}
	}
	if len(out) == 0 {
		out = append(out, name+": same lines in another order")
	}
	return out
}

func isRoot() bool { return os.Geteuid() == 0 }
