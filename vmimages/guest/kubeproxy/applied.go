package kubeproxy

import (
	"bufio"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// IPVSDests parses `ipvsadm -Ln` into the real servers of one virtual
// server ("10.96.0.10:80") with their weights.
func IPVSDests(table, vip string) map[string]int {
	out := map[string]int{}
	in := false
	sc := bufio.NewScanner(strings.NewReader(table))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && (f[0] == "TCP" || f[0] == "UDP" || f[0] == "SCTP"):
			in = f[1] == vip
		case in && len(f) >= 4 && f[0] == "->" && f[1] != "RemoteAddress:Port":
			w, err := strconv.Atoi(f[3])
			if err == nil {
				host, _, _ := strings.Cut(f[1], ":")
				out[host] = w
			}
		}
	}
	return out
}

// DNATTargets lists the pod IPs that iptables-save or nft output DNATs to on
// port: "--to-destination IP:PORT" and "dnat to IP:PORT" both end that way.
func DNATTargets(rules string, port int) []string {
	re := regexp.MustCompile(`(?:--to-destination|dnat to) (\d+\.\d+\.\d+\.\d+):` + strconv.Itoa(port) + `\b`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(rules, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// Programmed reports whether the dump shows exactly the ready IPs taking new
// connections: IPVS real servers with weight > 0, or DNAT targets.
func Programmed(mode scenario.ProxyMode, rules, ipvsTable, vip string, targetPort int, ready []string) bool {
	var have []string
	if mode == "ipvs" {
		for ip, w := range IPVSDests(ipvsTable, vip) {
			if w > 0 {
				have = append(have, ip)
			}
		}
	} else {
		have = DNATTargets(rules, targetPort)
	}
	want := slices.Clone(ready)
	slices.Sort(have)
	slices.Sort(want)
	return slices.Equal(have, want)
}
