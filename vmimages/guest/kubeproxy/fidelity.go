package kubeproxy

import (
	"bufio"
	"fmt"
	"math"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/proxy"
)

// Snapshot is one proxy's programmed state, as read back.
type Snapshot struct {
	Rules, IPVS, IPSets string
}

// normalisers are compiled on first use, not at package init: every agent
// process (each pod's server, the load client) links this package, and
// under TCG its start-up would pay for them.
var normalisers = sync.OnceValue(func() (n struct {
	iptCounters, ruleCounter, nftCounter, nftHandle, ipsetInitval, nftPriority *regexp.Regexp
}) {
	n.iptCounters = regexp.MustCompile(`^(:\S+ \S+) \[\d+:\d+\]$`)
	n.ruleCounter = regexp.MustCompile(`^\[\d+:\d+\] `)
	n.nftCounter = regexp.MustCompile(`counter packets \d+ bytes \d+`)
	n.nftHandle = regexp.MustCompile(`\s*# handle \d+$`)
	n.ipsetInitval = regexp.MustCompile(` initval 0x[0-9a-f]+`)
	n.nftPriority = regexp.MustCompile(`priority (raw|mangle|dstnat|filter|security|srcnat)(?: ([+-]) (\d+))?;`)
	return n
})

// nftPriorities are the standard priorities' values for the ip, ip6 and
// inet families: nft 1.1 prints "dstnat - 10" where nft 1.0.6 prints -110.
var nftPriorities = map[string]int{"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100}

// numericPriority rewrites a symbolic chain priority as its number.
func numericPriority(l string) string {
	re := normalisers().nftPriority
	return re.ReplaceAllStringFunc(l, func(m string) string {
		sub := re.FindStringSubmatch(m)
		v := nftPriorities[sub[1]]
		if sub[3] != "" {
			n, _ := strconv.Atoi(sub[3])
			if sub[2] == "-" {
				n = -n
			}
			v += n
		}
		return fmt.Sprintf("priority %d;", v)
	})
}

// normRules turns iptables-save or `nft list ruleset` output into
// comparable lines: no comments, counters or handles, nft element lists one
// element a line, each line prefixed with its table ("[nat] ", "[ip6
// kube-proxy] ") so the same text in two tables stays two lines.
func normRules(s string) []string {
	var out []string
	table, block, pending := "", "", ""
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		// nft wraps a long element list over lines: join it first
		if pending != "" {
			l, pending = pending+" "+l, ""
		}
		if head, rest, ok := strings.Cut(l, "elements = {"); ok && !strings.Contains(rest, "}") {
			pending = head + "elements = {" + rest
			continue
		}
		l = numericPriority(l)
		prefix := ""
		switch {
		case strings.HasPrefix(l, "*"): // iptables-save table
			table = strings.TrimPrefix(l, "*")
			continue
		case l == "COMMIT":
			continue
		case strings.HasPrefix(l, "table ") && strings.HasSuffix(l, "{"):
			table = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(l, "table "), "{"))
		case block == "" && strings.HasSuffix(l, "{") && !strings.Contains(l, "elements = {"):
			// an nft chain, set or map: its lines carry its name, so a
			// rule is compared within its chain and ignoring the chain
			// (the API server's Service) ignores its body too
			block = strings.TrimSpace(strings.TrimSuffix(l, "{"))
		case block != "" && l == "}":
			prefix, block = block+" | ", ""
		case block != "":
			prefix = block + " | "
		}
		n := normalisers()
		l = n.iptCounters.ReplaceAllString(l, "$1")
		l = n.ruleCounter.ReplaceAllString(l, "")
		l = n.nftCounter.ReplaceAllString(l, "counter")
		l = n.nftHandle.ReplaceAllString(l, "")
		for _, part := range splitElements(l) {
			out = append(out, "["+table+"] "+prefix+part)
		}
	}
	return out
}

// splitElements breaks "elements = { a, b }" into one line per element so
// element order does not matter.
func splitElements(l string) []string {
	head, rest, ok := strings.Cut(l, "elements = {")
	if !ok {
		return []string{strings.TrimSuffix(l, ",")}
	}
	var out []string
	for _, e := range strings.Split(strings.TrimSuffix(strings.TrimSpace(rest), "}"), ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, head+"element "+e)
		}
	}
	return out
}

// normIPVS turns `ipvsadm -Ln` into "service -> dest forward weight"
// lines, dropping the connection counters.
func normIPVS(s string) []string {
	var out []string
	svc := ""
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0 || f[0] == "IP" || f[0] == "Prot" || (len(f) > 1 && f[1] == "RemoteAddress:Port"):
		case f[0] == "->" && len(f) >= 4:
			out = append(out, fmt.Sprintf("%s -> %s %s %s", svc, f[1], f[2], f[3]))
		default:
			svc = strings.Join(f, " ")
			out = append(out, svc)
		}
	}
	return out
}

// normIPSets turns `ipset list` into "set: header" and "set member" lines,
// dropping sizes, references and revisions that depend on history.
func normIPSets(s string) []string {
	var out []string
	set, inMembers := "", false
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "":
		case strings.HasPrefix(l, "Name: "):
			set, inMembers = strings.TrimPrefix(l, "Name: "), false
		case l == "Members:":
			inMembers = true
		case inMembers:
			out = append(out, set+" member "+l)
		case strings.HasPrefix(l, "Type:"), strings.HasPrefix(l, "Header:"):
			// initval is the set's random hash seed, drawn at creation
			out = append(out, set+" "+normalisers().ipsetInitval.ReplaceAllString(l, ""))
		}
	}
	return out
}

// explanation is a known, understood difference between the tiers.
type explanation struct {
	// beforeMinor limits it to kube-proxy 1.x releases with x < beforeMinor
	// (a release difference against the model); 0: every release.
	beforeMinor int
	match       *regexp.Regexp
	why         string
}

func (e explanation) applies(minor int) bool { return e.beforeMinor == 0 || minor < e.beforeMinor }

// explanations are the differences the dataplane tier keeps on purpose,
// each with why it does not change what the rollout measures, and the
// release differences read off v1.21.8's pkg/proxy/ipvs/proxier.go (module
// zip): what it lacks or still has against the v1.34.2 model.
var explanations = sync.OnceValue(func() []explanation {
	return []explanation{
		{0, regexp.MustCompile(`^ipsets: only kube-proxy: KUBE-6-|^rules: only kube-proxy: \[ip6 kube-proxy\] `),
			"kube-proxy also runs an IPv6 proxier (the guest has IPv6 and ip6tables) and creates its IPv6 sets and tables; " +
				"the scenario's Service and clients are IPv4-only, so the dataplane tier programs IPv4 only"},
		{22, regexp.MustCompile(`^rules: only dataplane: .*(KUBE-IPVS-FILTER|KUBE-IPVS-OUT-FILTER|KUBE-PROXY-FIREWALL|KUBE-SOURCE-RANGES-FIREWALL|KUBE-IPVS-IPS)`),
			"kube-proxy v1.21's ipvs proxier has no firewall or IPVS access-filter chains (none in v1.21.8's proxier.go); they came later"},
		{22, regexp.MustCompile(`^ipsets: only dataplane: KUBE-IPVS-IPS `),
			"kube-proxy v1.21 has no KUBE-IPVS-IPS set (it came with the IPVS access filter)"},
		{22, regexp.MustCompile(`^rules: only dataplane: \[nat\] -A KUBE-SERVICES -s 127\.0\.0\.0/8 -j RETURN$`),
			"kube-proxy v1.21 does not exempt loopback sources in KUBE-SERVICES"},
		{22, regexp.MustCompile(`^rules: only kube-proxy: \[nat\] (:KUBE-FIREWALL -|:KUBE-MARK-DROP -|-A KUBE-FIREWALL -j KUBE-MARK-DROP)$`),
			"kube-proxy v1.21 still creates the nat KUBE-MARK-DROP/KUBE-FIREWALL chains, later left to the kubelet and then dropped"},
		{22, regexp.MustCompile(`^rules: only (kube-proxy|dataplane): \[filter\] -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack (pod source |pod destination )?rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT$`),
			"kube-proxy v1.21 accepts established forwarded traffic in two rules (pod source, pod destination); v1.34 in one"},
	}
})

// Compare reports every difference between what kube-proxy <version>
// programmed and what the dataplane tier programmed, after normalising
// counters, handles, ordering and history-dependent fields. Lines
// containing any of ignore (the API server's own Service) are left out and
// counted; differences with a known cause for that release are explained.
func Compare(mode scenario.ProxyMode, version string, kubeProxy, dataplane Snapshot, ignore []string) scenario.Fidelity {
	f := scenario.Fidelity{Mode: mode, Compared: map[string]int{}, Differences: []string{}}
	minor := math.MaxInt // an unparsable release is held to the model
	if v, err := scenario.ParseKubernetesRelease(version); err == nil {
		minor = v.Minor()
	}
	dumps := []struct {
		name string
		norm func(string) []string
		a, b string
	}{{"rules", normRules, kubeProxy.Rules, dataplane.Rules}}
	if mode == scenario.ModeIPVS {
		dumps = append(dumps,
			struct {
				name string
				norm func(string) []string
				a, b string
			}{"ipvs", normIPVS, kubeProxy.IPVS, dataplane.IPVS},
			struct {
				name string
				norm func(string) []string
				a, b string
			}{"ipsets", normIPSets, kubeProxy.IPSets, dataplane.IPSets})
	}
	for _, d := range dumps {
		a, ia := filterLines(d.norm(d.a), ignore)
		b, _ := filterLines(d.norm(d.b), ignore)
		f.Ignored += ia
		f.Compared[d.name] = len(a)
		for _, l := range minus(a, b) {
			addDifference(&f, fmt.Sprintf("%s: only kube-proxy: %s", d.name, l), minor)
		}
		for _, l := range minus(b, a) {
			addDifference(&f, fmt.Sprintf("%s: only dataplane: %s", d.name, l), minor)
		}
	}
	return f
}

// Settled reports two read-backs of the same proxy as equal after the
// normalisation Compare uses (counters, handles and order do not count).
func Settled(mode scenario.ProxyMode, a, b Snapshot) bool {
	f := Compare(mode, scenario.DataplaneModel, a, b, nil)
	return len(f.Differences) == 0 && len(f.Explained) == 0
}

// addDifference files d under Explained when a known cause for kube-proxy
// 1.<minor> matches it.
func addDifference(f *scenario.Fidelity, d string, minor int) {
	for _, e := range explanations() {
		if e.applies(minor) && e.match.MatchString(d) {
			f.Explained = append(f.Explained, d+": "+e.why)
			return
		}
	}
	f.Differences = append(f.Differences, d)
}

// filterLines drops lines containing any of ignore; a line is matched with
// a trailing space so "10.96.0.1 " also matches an address ending the line
// (and never "10.96.0.10").
func filterLines(lines, ignore []string) (kept []string, dropped int) {
	for _, l := range lines {
		padded := l + " "
		if slices.ContainsFunc(ignore, func(s string) bool { return s != "" && strings.Contains(padded, s) }) {
			dropped++
			continue
		}
		kept = append(kept, l)
	}
	return kept, dropped
}

// minus is the sorted multiset difference a - b.
func minus(a, b []string) []string {
	count := map[string]int{}
	for _, l := range b {
		count[l]++
	}
	var out []string
	for _, l := range a {
		if count[l] > 0 {
			count[l]--
			continue
		}
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// ServicePort is one port of a Service that only the real cluster has (the
// API server's "kubernetes", kind's kube-dns), with its endpoints.
type ServicePort struct {
	Namespace, Name, PortName string
	Protocol                  string // lower case, as in kube-proxy's chain names: tcp, udp
	ClusterIP                 string
	Endpoints                 []string // "ip:port"
}

// Ignores are the substrings that mark a read-back line as p's: its
// ClusterIP, its port name, its iptables and nft chains and its endpoints,
// in the forms iptables-save, nft, ipvsadm and ipset print them. Each
// address ends in a separator so that 10.96.0.1 never matches 10.96.0.10.
func (p ServicePort) Ignores() []string {
	spn := p.Namespace + "/" + p.Name + ":" + p.PortName
	out := []string{p.ClusterIP + ",", p.ClusterIP + ":", p.ClusterIP + "/32", p.ClusterIP + " ",
		spn, p.Namespace + "/" + p.Name + "/", proxy.ServiceChainName(spn, p.Protocol)}
	for _, ep := range p.Endpoints {
		ip, port, err := net.SplitHostPort(ep)
		if err != nil {
			continue
		}
		out = append(out, ep, ip+","+p.Protocol+":"+port, ip+"/"+port, proxy.EndpointChainName(spn, p.Protocol, ep))
	}
	return out
}
