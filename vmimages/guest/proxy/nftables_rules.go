package proxy

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net"
	"strconv"
	"strings"
)

const nftTable = "ip kube-proxy"

// nftHashName is kube-proxy's hashAndTruncate: base32(sha256(name))[:8] + "-" + name.
func nftHashName(name string) string {
	h := sha256.Sum256([]byte(name))
	return base32.StdEncoding.EncodeToString(h[:])[:8] + "-" + name
}

// NFTServiceChain is "service-HASH-ns/name/tcp/port" (servicePortChainNameBase).
func NFTServiceChain(svc Service) string {
	return "service-" + nftHashName(fmt.Sprintf("%s/%s/tcp/%s", svc.Namespace, svc.Name, svc.PortName))
}

// NFTEndpointChain is "endpoint-HASH-ns/name/tcp/port__ip/port".
func NFTEndpointChain(svc Service, e Endpoint) string {
	return "endpoint-" + nftHashName(fmt.Sprintf("%s/%s/tcp/%s__%s/%d", svc.Namespace, svc.Name, svc.PortName, e.IP, svc.TargetPort))
}

// NFTablesRules is the "nft -f" transaction of one full kube-proxy
// nftables-mode sync: the base table (idempotent adds), every chain it uses
// flushed and refilled, the maps flushed and refilled, and chains of
// endpoints that went away (stale) deleted. nft applies it atomically.
func NFTablesRules(svc Service, eps, stale []Endpoint) string {
	eps = sortEndpoints(eps)
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	t := nftTable
	w(`add table %s { comment "rules for kube-proxy" ; }`, t)
	w(`add set %s cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`, t)
	w(`add set %s nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`, t)
	w(`add map %s firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`, t)
	w(`add map %s no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`, t)
	w(`add map %s no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`, t)
	w(`add map %s service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`, t)
	w(`add map %s service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`, t)

	base := []string{
		"cluster-ips-check",
		"filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }",
		"filter-output-pre-dnat { type filter hook output priority -110 ; }",
		"filter-forward { type filter hook forward priority 0 ; }",
		"filter-input { type filter hook input priority 0 ; }",
		"filter-output { type filter hook output priority 0 ; }",
		"firewall-check",
		"mark-for-masquerade",
		"masquerading",
		"nat-output { type nat hook output priority -100 ; }",
		"nat-postrouting { type nat hook postrouting priority 100 ; }",
		"nat-prerouting { type nat hook prerouting priority -100 ; }",
		"nodeport-endpoints-check",
		`reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
		"services",
		"service-endpoints-check",
	}
	for _, c := range base {
		w("add chain %s %s", t, c)
	}
	for _, c := range base {
		w("flush chain %s %s", t, strings.Fields(c)[0])
	}
	for _, m := range []string{"set %s cluster-ips", "set %s nodeport-ips", "map %s firewall-ips", "map %s no-endpoint-nodeports", "map %s no-endpoint-services", "map %s service-ips", "map %s service-nodeports"} {
		w("flush "+m, t)
	}
	w(`add rule %s cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`, t)
	w(`add rule %s cluster-ips-check ip daddr { %s } drop comment "Drop traffic to unallocated ClusterIPs"`, t, svc.ServiceCIDR)
	w("add rule %s filter-prerouting-pre-dnat ct state new jump firewall-check", t)
	w("add rule %s filter-forward ct state new jump service-endpoints-check", t)
	w("add rule %s filter-forward ct state new jump cluster-ips-check", t)
	w("add rule %s filter-input ct state new jump nodeport-endpoints-check", t)
	w("add rule %s filter-input ct state new jump service-endpoints-check", t)
	w("add rule %s filter-output ct state new jump service-endpoints-check", t)
	w("add rule %s filter-output-pre-dnat ct state new jump firewall-check", t)
	w("add rule %s filter-output ct state new jump cluster-ips-check", t)
	w("add rule %s firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips", t)
	w("add rule %s mark-for-masquerade mark set mark or %s", t, masqMark)
	w("add rule %s masquerading mark and %s == 0 return", t, masqMark)
	w("add rule %s masquerading mark set mark xor %s", t, masqMark)
	w("add rule %s masquerading masquerade fully-random", t)
	w("add rule %s nat-output jump services", t)
	w("add rule %s nat-postrouting jump masquerading", t)
	w("add rule %s nat-prerouting jump services", t)
	w("add rule %s nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports", t)
	w("add rule %s reject-chain reject", t)
	w("add rule %s services ip daddr . meta l4proto . th dport vmap @service-ips", t)
	w("add rule %s services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports", t)
	w("add element %s nodeport-ips { %s }", t, svc.NodeIP)
	w("add rule %s service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services", t)

	sc := NFTServiceChain(svc)
	// Chains before the rules that jump to them, as knftables orders a transaction.
	for _, c := range append([]string{sc}, endpointChains(svc, eps)...) {
		w("add chain %s %s", t, c)
		w("flush chain %s %s", t, c)
	}
	w("add rule %s %s ip daddr %s ip saddr != %s jump mark-for-masquerade", t, sc, svc.ClusterIP, svc.ClusterCIDR)
	w("add element %s cluster-ips { %s }", t, svc.ClusterIP)
	if len(eps) == 0 {
		// kube-proxy rejects traffic to a service without endpoints.
		w(`add element %s no-endpoint-services { %s . tcp . %d comment "%s" : goto reject-chain }`, t, svc.ClusterIP, svc.Port, svc.PortNameString())
	} else {
		var vm []string
		for i, e := range eps {
			vm = append(vm, strconv.Itoa(i)+" : goto "+NFTEndpointChain(svc, e))
		}
		w("add rule %s %s numgen random mod %d vmap { %s }", t, sc, len(eps), strings.Join(vm, " , "))
		for _, e := range eps {
			ec := NFTEndpointChain(svc, e)
			w("add rule %s %s ip saddr %s jump mark-for-masquerade", t, ec, e.IP)
			w("add rule %s %s meta l4proto tcp dnat to %s", t, ec, net.JoinHostPort(e.IP.String(), strconv.Itoa(svc.TargetPort)))
		}
		w("add element %s service-ips { %s . tcp . %d : goto %s }", t, svc.ClusterIP, svc.Port, sc)
	}
	for _, e := range stale {
		ec := NFTEndpointChain(svc, e)
		// add first so the delete cannot fail on a chain that never existed
		w("add chain %s %s", t, ec)
		w("delete chain %s %s", t, ec)
	}
	return b.String()
}

func endpointChains(svc Service, eps []Endpoint) []string {
	var out []string
	for _, e := range eps {
		out = append(out, NFTEndpointChain(svc, e))
	}
	return out
}
