package proxy

import (
	"net"
	"strings"
	"testing"
)

// upstream is kube-proxy's own test service: ns1/svc1:p80 at 172.30.0.41,
// endpoint 10.180.0.1:80, cluster CIDR 10.0.0.0/8. Expected names and
// lines are copied from kubernetes pkg/proxy/{iptables,nftables}/proxier_test.go.
var upstream = Service{Namespace: "ns1", Name: "svc1", PortName: "p80", ClusterIP: net.ParseIP("172.30.0.41"),
	Port: 80, TargetPort: 80, ClusterCIDR: "10.0.0.0/8", ServiceCIDR: "172.30.0.0/16", NodeIP: "192.168.0.2"}

func ep(pod, ip string) Endpoint { return Endpoint{Pod: pod, IP: net.ParseIP(ip)} }

func TestChainNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{ServiceChainName("ns1/svc1:p80", "tcp"), "KUBE-SVC-XPGD46QRK7WJZT7O"},
		{EndpointChainName("ns1/svc1:p80", "tcp", "10.180.0.1:80"), "KUBE-SEP-SXIVWICOYRO3J4NJ"},
		{ServiceChainName("ns2/svc2:p80", "tcp"), "KUBE-SVC-GNZBNJ2PO5MGZ6GT"},
		{NFTServiceChain(upstream), "service-ULMVA6XW-ns1/svc1/tcp/p80"},
		{NFTEndpointChain(upstream, ep("a", "10.180.0.1")), "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}

func hasLines(t *testing.T, text string, lines ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		have[l] = true
	}
	for _, l := range lines {
		if !have[l] {
			t.Errorf("missing line:\n%s\nin:\n%s", l, text)
		}
	}
}

func TestIPTablesRulesUpstreamLines(t *testing.T) {
	got := IPTablesRules(upstream, []Endpoint{ep("a", "10.180.0.1")}, nil)
	hasLines(t, got,
		`-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O`,
		`-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
		`-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ`,
		`-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ`,
		`-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80`,
		`-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN`,
		`-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000`,
		`-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
		`-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000`,
		`-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP`,
	)
}

func TestIPTablesRulesFullText(t *testing.T) {
	svc := Service{Namespace: "default", Name: "web", PortName: "http", ClusterIP: net.ParseIP("10.96.0.10"),
		Port: 80, TargetPort: 8080, ClusterCIDR: "10.244.0.0/16"}
	a, b, c, old := ep("web-a", "10.244.0.2"), ep("web-b", "10.244.0.3"), ep("web-c", "10.244.0.4"), ep("web-old", "10.244.0.9")
	spn := "default/web:http"
	svcC := ServiceChainName(spn, "tcp")
	sep := func(e Endpoint) string { return EndpointChainName(spn, "tcp", e.IP.String()+":8080") }
	want := `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-FIREWALL - [0:0]
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:` + svcC + ` - [0:0]
:` + sep(a) + ` - [0:0]
:` + sep(b) + ` - [0:0]
:` + sep(c) + ` - [0:0]
:` + sep(old) + ` - [0:0]
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j ` + svcC + `
-A ` + svcC + ` -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A ` + svcC + ` -m comment --comment "default/web:http -> 10.244.0.2:8080" -m statistic --mode random --probability 0.3333333333 -j ` + sep(a) + `
-A ` + svcC + ` -m comment --comment "default/web:http -> 10.244.0.3:8080" -m statistic --mode random --probability 0.5000000000 -j ` + sep(b) + `
-A ` + svcC + ` -m comment --comment "default/web:http -> 10.244.0.4:8080" -j ` + sep(c) + `
-A ` + sep(a) + ` -m comment --comment default/web:http -s 10.244.0.2 -j KUBE-MARK-MASQ
-A ` + sep(a) + ` -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.2:8080
-A ` + sep(b) + ` -m comment --comment default/web:http -s 10.244.0.3 -j KUBE-MARK-MASQ
-A ` + sep(b) + ` -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.3:8080
-A ` + sep(c) + ` -m comment --comment default/web:http -s 10.244.0.4 -j KUBE-MARK-MASQ
-A ` + sep(c) + ` -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.4:8080
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-X ` + sep(old) + `
COMMIT
`
	// unsorted input: output must be ordered by IP
	if got := IPTablesRules(svc, []Endpoint{c, a, b}, []Endpoint{old}); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// no endpoints: REJECT in filter, service chain removed
	none := IPTablesRules(svc, nil, []Endpoint{a})
	hasLines(t, none,
		`-A KUBE-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j REJECT`,
		"-X "+svcC, "-X "+sep(a))
}

func TestNFTablesRulesUpstreamLines(t *testing.T) {
	got := NFTablesRules(upstream, []Endpoint{ep("a", "10.180.0.1")}, nil)
	hasLines(t, got,
		`add table ip kube-proxy { comment "rules for kube-proxy" ; }`,
		`add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }`,
		`add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips`,
		`add rule ip kube-proxy masquerading masquerade fully-random`,
		`add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"`,
		`add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade`,
		`add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }`,
		`add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade`,
		`add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80`,
		`add element ip kube-proxy cluster-ips { 172.30.0.41 }`,
		`add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }`,
	)
}

func TestNFTablesRulesTwoEndpointsAndStale(t *testing.T) {
	e4, e5, gone := ep("a", "10.180.0.4"), ep("b", "10.180.0.5"), ep("c", "10.180.0.1")
	got := NFTablesRules(upstream, []Endpoint{e5, e4}, []Endpoint{gone})
	sc := NFTServiceChain(upstream)
	hasLines(t, got,
		"add rule ip kube-proxy "+sc+" numgen random mod 2 vmap { 0 : goto "+NFTEndpointChain(upstream, e4)+" , 1 : goto "+NFTEndpointChain(upstream, e5)+" }",
		"flush chain ip kube-proxy "+sc,
		"delete chain ip kube-proxy "+NFTEndpointChain(upstream, gone),
	)
	none := NFTablesRules(upstream, nil, nil)
	hasLines(t, none, `add element ip kube-proxy no-endpoint-services { 172.30.0.41 . tcp . 80 comment "ns1/svc1:p80" : goto reject-chain }`)
	if strings.Contains(none, "numgen") || strings.Contains(none, "service-ips { 172") {
		t.Errorf("no endpoints must not route:\n%s", none)
	}
}

func TestIPVSModeText(t *testing.T) {
	svc := Service{Namespace: "default", Name: "web", PortName: "http", ClusterIP: net.ParseIP("10.96.0.10"),
		Port: 80, TargetPort: 8080, ClusterCIDR: "10.244.0.0/16"}
	rules := IPVSModeRules(svc)
	hasLines(t, rules,
		`-A KUBE-SERVICES ! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ`,
		`-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT`,
		`-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN`,
		`-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
		`-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable`,
		`-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000`)
	// kube-proxy 1.34's ipvs mode has no INVALID drop (that is the iptables mode's, and only without tcp_be_liberal)
	if strings.Contains(rules, "INVALID") {
		t.Errorf("ipvs-mode rules drop INVALID:\n%s", rules)
	}
	got := IPSetRestore(svc, []Endpoint{ep("b", "10.244.0.3"), ep("a", "10.244.0.2")})
	hasLines(t, got,
		"create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536",
		"create KUBE-NODE-PORT-TCP bitmap:port range 0-65535",
		"create KUBE-IPVS-IPS hash:ip family inet hashsize 1024 maxelem 65536",
		"add KUBE-CLUSTER-IP 10.96.0.10,tcp:80",
		"add KUBE-IPVS-IPS 10.96.0.10")
	if n := strings.Count(got, "create "); n != 17 {
		t.Errorf("%d sets created, kube-proxy 1.34 creates 17", n)
	}
	want := "add KUBE-LOOP-BACK 10.244.0.2,tcp:8080,10.244.0.2\nadd KUBE-LOOP-BACK 10.244.0.3,tcp:8080,10.244.0.3\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("hairpin members not sorted by IP:\n%s", got)
	}
}
