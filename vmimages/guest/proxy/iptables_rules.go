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
// input that also declares its own chains. Written once at setup.
func IPTablesJumps() string {
	return `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
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
	for _, c := range []string{"KUBE-NODEPORTS", "KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-PROXY-FIREWALL"} {
		w(":%s - [0:0]", c)
	}
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
	w(`-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE`)
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

// IPVS-mode ipset names and comments, as in kube-proxy's ipvs proxier.
const (
	setClusterIP = "KUBE-CLUSTER-IP"
	setLoopBack  = "KUBE-LOOP-BACK"
)

// IPVSModeJumps are the built-in chain jumps kube-proxy's ipvs mode ensures.
func IPVSModeJumps() string {
	return `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODE-PORT - [0:0]
-A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
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

// IPVSModeRules is kube-proxy's ipvs-mode iptables-restore --noflush input:
// a fixed set of rules that match the service through ipsets. They register
// the nat and conntrack hooks that make IPVS's conntrack interplay real.
func IPVSModeRules(svc Service) string {
	return fmt.Sprintf(`*filter
:KUBE-FORWARD - [0:0]
:KUBE-NODE-PORT - [0:0]
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark %[1]s/%[1]s -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-LOAD-BALANCER - [0:0]
:KUBE-MARK-MASQ - [0:0]
-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set %[3]s dst,dst,src -j MASQUERADE
-A KUBE-POSTROUTING -m mark ! --mark %[1]s/%[1]s -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark %[1]s
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-MARK-MASQ -j MARK --or-mark %[1]s
-A KUBE-SERVICES ! -s %[4]s -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set %[2]s dst,dst -j KUBE-MARK-MASQ
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
-A KUBE-SERVICES -m set --match-set %[2]s dst,dst -j ACCEPT
COMMIT
`, masqMark, setClusterIP, setLoopBack, svc.ClusterCIDR)
}

// IPSetRestore is the "ipset restore -exist" input for the ipvs-mode sets:
// the service's ClusterIP,tcp:port and, for hairpin, each endpoint. The sets
// are flushed and refilled, as kube-proxy syncs them.
func IPSetRestore(svc Service, eps []Endpoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "create %s hash:ip,port family inet hashsize 1024 maxelem 65536 comment\n", setClusterIP)
	fmt.Fprintf(&b, "create %s hash:ip,port,ip family inet hashsize 1024 maxelem 65536 comment\n", setLoopBack)
	fmt.Fprintf(&b, "flush %s\nflush %s\n", setClusterIP, setLoopBack)
	fmt.Fprintf(&b, "add %s %s,tcp:%d comment \"Kubernetes service cluster ip + port for masquerade purpose\"\n", setClusterIP, svc.ClusterIP, svc.Port)
	for _, e := range sortEndpoints(eps) {
		fmt.Fprintf(&b, "add %s %s,tcp:%d,%s comment \"Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose\"\n", setLoopBack, e.IP, svc.TargetPort, e.IP)
	}
	return b.String()
}
