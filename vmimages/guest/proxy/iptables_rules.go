package proxy

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
)

// Marks and comments as kube-proxy writes them (--masquerade-bit 14).
const (
	masqMark    = "0x4000"
	kubeSvcPort = "kubernetes service portals"
)

// ServiceChainName is kube-proxy's servicePortChainName: "KUBE-SVC-" +
// base32(sha256(servicePortName + protocol))[:16].
func ServiceChainName(servicePortName, protocol string) string {
	return "KUBE-SVC-" + hash16(servicePortName+protocol)
}

// EndpointChainName is kube-proxy's servicePortEndpointChainName.
func EndpointChainName(servicePortName, protocol, endpoint string) string {
	return "KUBE-SEP-" + hash16(servicePortName+protocol+endpoint)
}

func hash16(s string) string {
	h := sha256.Sum256([]byte(s))
	return base32.StdEncoding.EncodeToString(h[:])[:16]
}

// IPTablesJumps are the jumps from the built-in chains that kube-proxy's
// iptables mode ensures (outside its restore), as one iptables-restore
// input that also declares its own chains, plus the empty KUBE-PROXY-CANARY
// chains it watches in mangle, nat and filter to notice a flush of its
// rules. Written once at setup.
func IPTablesJumps() string {
	return `*mangle
:KUBE-PROXY-CANARY - [0:0]
COMMIT
*filter
:KUBE-PROXY-CANARY - [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-FIREWALL - [0:0]
-A INPUT -j KUBE-FIREWALL
-A OUTPUT -j KUBE-FIREWALL
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-PROXY-CANARY - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
COMMIT
`
}

// IPTablesRules is the iptables-restore --noflush input of one full
// kube-proxy iptables-mode sync for svc with the ready endpoints eps.
// Chains of endpoints no longer present (stale) are declared and deleted,
// as kube-proxy does; the whole input is applied as one atomic restore.
func IPTablesRules(svc Service, eps, stale []Endpoint) string {
	eps = sortEndpoints(eps)
	spn := svc.PortNameString()
	svcChain := ServiceChainName(spn, "tcp")
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }

	w("*filter")
	for _, c := range []string{"KUBE-NODEPORTS", "KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-PROXY-FIREWALL", "KUBE-FIREWALL"} {
		w(":%s - [0:0]", c)
	}
	// kubelet's copy of this rule mitigates route_localnet (localhost NodePorts, on by default)
	w(`-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`)
	if len(eps) == 0 {
		w(`-A KUBE-SERVICES -m comment --comment "%s has no endpoints" -m tcp -p tcp -d %s --dport %d -j REJECT`, spn, svc.ClusterIP, svc.Port)
	}
	w("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP")
	w(`-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark %s/%s -j ACCEPT`, masqMark, masqMark)
	w(`-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`)
	w("COMMIT")

	w("*nat")
	for _, c := range []string{"KUBE-NODEPORTS", "KUBE-SERVICES", "KUBE-MARK-MASQ", "KUBE-POSTROUTING"} {
		w(":%s - [0:0]", c)
	}
	if len(eps) > 0 {
		w(":%s - [0:0]", svcChain)
	}
	for _, e := range eps {
		w(":%s - [0:0]", EndpointChainName(spn, "tcp", svc.EndpointString(e)))
	}
	staleChains := []string{}
	for _, e := range stale {
		staleChains = append(staleChains, EndpointChainName(spn, "tcp", svc.EndpointString(e)))
	}
	if len(eps) == 0 {
		staleChains = append(staleChains, svcChain)
	}
	for _, c := range staleChains {
		w(":%s - [0:0]", c)
	}
	w("-A KUBE-POSTROUTING -m mark ! --mark %s/%s -j RETURN", masqMark, masqMark)
	w("-A KUBE-POSTROUTING -j MARK --xor-mark %s", masqMark)
	w(`-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`)
	w("-A KUBE-MARK-MASQ -j MARK --or-mark %s", masqMark)
	if len(eps) > 0 {
		w(`-A KUBE-SERVICES -m comment --comment "%s cluster IP" -m tcp -p tcp -d %s --dport %d -j %s`, spn, svc.ClusterIP, svc.Port, svcChain)
		w(`-A %s -m comment --comment "%s cluster IP" -m tcp -p tcp -d %s --dport %d ! -s %s -j KUBE-MARK-MASQ`, svcChain, spn, svc.ClusterIP, svc.Port, svc.ClusterCIDR)
		for i, e := range eps {
			sep := EndpointChainName(spn, "tcp", svc.EndpointString(e))
			if n := len(eps) - i; n > 1 {
				// kube-proxy: probability 1/(n-i) so each endpoint gets 1/n overall.
				w(`-A %s -m comment --comment "%s -> %s" -m statistic --mode random --probability %0.10f -j %s`, svcChain, spn, svc.EndpointString(e), 1.0/float64(n), sep)
			} else {
				w(`-A %s -m comment --comment "%s -> %s" -j %s`, svcChain, spn, svc.EndpointString(e), sep)
			}
		}
		for _, e := range eps {
			sep := EndpointChainName(spn, "tcp", svc.EndpointString(e))
			w("-A %s -m comment --comment %s -s %s -j KUBE-MARK-MASQ", sep, spn, e.IP)
			w("-A %s -m comment --comment %s -m tcp -p tcp -j DNAT --to-destination %s", sep, spn, svc.EndpointString(e))
		}
	}
	w(`-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`)
	for _, c := range staleChains {
		w("-X %s", c)
	}
	w("COMMIT")
	return b.String()
}

// IPVS-mode ipsets, as kube-proxy 1.34's ipvs proxier creates them
// (pkg/proxy/ipvs/proxier.go ipsetInfo): every set exists from the first
// sync, filled or not; hash sets are family inet, 1024 buckets, 65536 max.
const (
	setClusterIP   = "KUBE-CLUSTER-IP"
	setLoopBack    = "KUBE-LOOP-BACK"
	setIPVSIPs     = "KUBE-IPVS-IPS"
	setHealthCheck = "KUBE-HEALTH-CHECK-NODE-PORT"
)

var ipvsModeSets = []struct{ name, kind string }{
	{setLoopBack, "hash:ip,port,ip"},
	{setClusterIP, "hash:ip,port"},
	{"KUBE-EXTERNAL-IP", "hash:ip,port"},
	{"KUBE-EXTERNAL-IP-LOCAL", "hash:ip,port"},
	{"KUBE-LOAD-BALANCER", "hash:ip,port"},
	{"KUBE-LOAD-BALANCER-FW", "hash:ip,port"},
	{"KUBE-LOAD-BALANCER-LOCAL", "hash:ip,port"},
	{"KUBE-LOAD-BALANCER-SOURCE-IP", "hash:ip,port,ip"},
	{"KUBE-LOAD-BALANCER-SOURCE-CIDR", "hash:ip,port,net"},
	{"KUBE-NODE-PORT-TCP", "bitmap:port"},
	{"KUBE-NODE-PORT-LOCAL-TCP", "bitmap:port"},
	{"KUBE-NODE-PORT-UDP", "bitmap:port"},
	{"KUBE-NODE-PORT-LOCAL-UDP", "bitmap:port"},
	{"KUBE-NODE-PORT-SCTP-HASH", "hash:ip,port"},
	{"KUBE-NODE-PORT-LOCAL-SCTP-HASH", "hash:ip,port"},
	{setHealthCheck, "bitmap:port"},
	{setIPVSIPs, "hash:ip"},
}

// IPVSModeJumps are the chains and built-in chain jumps kube-proxy's ipvs
// mode ensures (iptablesChains and iptablesJumpChain in its proxier).
func IPVSModeJumps() string {
	return `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SOURCE-RANGES-FIREWALL - [0:0]
:KUBE-IPVS-FILTER - [0:0]
:KUBE-IPVS-OUT-FILTER - [0:0]
-A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER
-A INPUT -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT
-A FORWARD -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A OUTPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
COMMIT
`
}

// IPVSModeRules is kube-proxy 1.34's ipvs-mode iptables-restore --noflush
// input (writeIptablesRules) for one ClusterIP service: fixed rules that
// match the service through ipsets. They register the nat and conntrack
// hooks that make IPVS's conntrack interplay real. The IPv4 iptables of
// Debian's images has --random-fully, so kube-proxy uses it.
func IPVSModeRules(svc Service) string {
	return fmt.Sprintf(`*filter
:KUBE-FORWARD - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SOURCE-RANGES-FIREWALL - [0:0]
:KUBE-IPVS-FILTER - [0:0]
:KUBE-IPVS-OUT-FILTER - [0:0]
-A KUBE-SOURCE-RANGES-FIREWALL -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark %[1]s/%[1]s -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-NODE-PORT -m comment --comment "Kubernetes health check node port" -m set --match-set %[5]s dst -j ACCEPT
-A KUBE-IPVS-FILTER -m set --match-set KUBE-LOAD-BALANCER dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set %[2]s dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set %[5]s dst -j RETURN
-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set %[6]s dst -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-LOAD-BALANCER - [0:0]
:KUBE-MARK-MASQ - [0:0]
-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN
-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set %[3]s dst,dst,src -j MASQUERADE
-A KUBE-SERVICES ! -s %[4]s -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set %[2]s dst,dst -j KUBE-MARK-MASQ
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ
-A KUBE-SERVICES -m set --match-set %[2]s dst,dst -j ACCEPT
-A KUBE-POSTROUTING -m mark ! --mark %[1]s/%[1]s -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark %[1]s
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-MARK-MASQ -j MARK --or-mark %[1]s
COMMIT
`, masqMark, setClusterIP, setLoopBack, svc.ClusterCIDR, setHealthCheck, setIPVSIPs)
}

// IPSetRestore is the "ipset restore -exist" input for the ipvs-mode sets:
// all of kube-proxy's sets, filled with the service's ClusterIP,tcp:port,
// its address as an IPVS virtual IP and, for hairpin, each endpoint. The
// filled sets are flushed and refilled, as kube-proxy syncs them.
func IPSetRestore(svc Service, eps []Endpoint) string {
	var b strings.Builder
	for _, s := range ipvsModeSets {
		if s.kind == "bitmap:port" {
			fmt.Fprintf(&b, "create %s %s range 0-65535\n", s.name, s.kind)
		} else {
			fmt.Fprintf(&b, "create %s %s family inet hashsize 1024 maxelem 65536\n", s.name, s.kind)
		}
	}
	fmt.Fprintf(&b, "flush %s\nflush %s\nflush %s\n", setClusterIP, setLoopBack, setIPVSIPs)
	fmt.Fprintf(&b, "add %s %s,tcp:%d\n", setClusterIP, svc.ClusterIP, svc.Port)
	fmt.Fprintf(&b, "add %s %s\n", setIPVSIPs, svc.ClusterIP)
	for _, e := range sortEndpoints(eps) {
		fmt.Fprintf(&b, "add %s %s,tcp:%d,%s\n", setLoopBack, e.IP, svc.TargetPort, e.IP)
	}
	return b.String()
}
