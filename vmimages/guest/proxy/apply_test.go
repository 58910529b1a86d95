package proxy

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// skipOrFail skips outside the guest; inside it (ROLLOUTLAB_IN_GUEST=1, set
// by the e2e smoke boot, which runs this binary in a guest) a
// missing prerequisite is a failure, so the test cannot silently not run.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("ROLLOUTLAB_IN_GUEST") == "1" {
		t.Fatalf("in the guest: "+format, args...)
	}
	t.Skipf(format+" (runs inside a guest in make test: e2e smoke spec \"runs the guest packages' test binaries\")", args...)
}

// inTestNetns gives the test a throwaway network namespace and a function
// that runs a tool inside it; outside the guest it skips when that is not
// possible here.
func inTestNetns(t *testing.T, tools ...string) func(stdin string, args ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root for network namespaces")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "%s not installed", tool)
		}
	}
	name := fmt.Sprintf("rltest-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		skipOrFail(t, "cannot create a netns here: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("ip", append([]string{"netns", "exec", name}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "Operation not supported") || strings.Contains(string(out), "No such file or directory") && args[0] != "nft" {
				skipOrFail(t, "kernel lacks a feature for %v: %s", args, out)
			}
			t.Fatalf("%v: %v\n%s\ninput:\n%s", args, err, out, stdin)
		}
		return string(out)
	}
}

var webSvc = Service{Namespace: "default", Name: "web", PortName: "http", ClusterIP: net.ParseIP("10.96.0.10"),
	Port: 80, TargetPort: 8080, ClusterCIDR: "10.244.0.0/16", ServiceCIDR: "10.96.0.0/12", NodeIP: "192.168.0.2"}

// TestNFTablesRulesApply feeds three successive syncs of a rollout to the
// real nft: all endpoints, one replaced (stale chain deleted), none.
func TestNFTablesRulesApply(t *testing.T) {
	run := inTestNetns(t, "nft")
	a, b, c := ep("a", "10.244.0.2"), ep("b", "10.244.0.3"), ep("c", "10.244.0.4")
	run(NFTablesRules(webSvc, []Endpoint{a, b}, nil), "nft", "-f", "-")
	run(NFTablesRules(webSvc, []Endpoint{b, c}, []Endpoint{a}), "nft", "-f", "-")
	got := run("", "nft", "list", "ruleset")
	if strings.Contains(got, NFTEndpointChain(webSvc, a)) {
		t.Errorf("stale chain of %s still there:\n%s", a.IP, got)
	}
	for _, want := range []string{NFTEndpointChain(webSvc, c), "numgen random mod 2", "dnat to 10.244.0.4:8080"} {
		if !strings.Contains(got, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, got)
		}
	}
	run(NFTablesRules(webSvc, nil, []Endpoint{b, c}), "nft", "-f", "-")
	if got := run("", "nft", "list", "ruleset"); strings.Contains(got, "dnat to") {
		t.Errorf("no endpoints but DNAT left:\n%s", got)
	}
}

// TestIPTablesRulesApply does the same through iptables-nft-restore.
func TestIPTablesRulesApply(t *testing.T) {
	run := inTestNetns(t, "iptables-nft-restore", "iptables-nft-save")
	a, b, c := ep("a", "10.244.0.2"), ep("b", "10.244.0.3"), ep("c", "10.244.0.4")
	run(IPTablesJumps(), "iptables-nft-restore", "--noflush")
	run(IPTablesRules(webSvc, []Endpoint{a, b}, nil), "iptables-nft-restore", "--noflush")
	run(IPTablesRules(webSvc, []Endpoint{b, c}, []Endpoint{a}), "iptables-nft-restore", "--noflush")
	got := run("", "iptables-nft-save", "-t", "nat")
	sepA := EndpointChainName(webSvc.PortNameString(), "tcp", "10.244.0.2:8080")
	if strings.Contains(got, sepA) {
		t.Errorf("stale %s still there:\n%s", sepA, got)
	}
	for _, want := range []string{"--to-destination 10.244.0.4:8080", "--probability 0.50000000000", "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"} {
		if !strings.Contains(got, want) {
			t.Errorf("nat table lacks %q:\n%s", want, got)
		}
	}
}

// TestIPVSModeCompanionsApply loads the ipset and ipvs-mode iptables rules.
func TestIPVSModeCompanionsApply(t *testing.T) {
	run := inTestNetns(t, "ipset", "iptables-nft-restore", "iptables-nft-save")
	run(IPSetRestore(webSvc, []Endpoint{ep("a", "10.244.0.2")}), "ipset", "restore", "-exist")
	// one restore, as IPVS.Setup runs it: the rules' block must not undo the jumps'
	run(IPVSModeJumps()+IPVSModeRules(webSvc), "iptables-nft-restore", "--noflush")
	got := run("", "iptables-nft-save", "-t", "nat")
	for _, want := range []string{"--match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ",
		`-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`} {
		if !strings.Contains(got, want) {
			t.Errorf("nat table lacks %q:\n%s", want, got)
		}
	}
	if sets := run("", "ipset", "list", "KUBE-CLUSTER-IP"); !strings.Contains(sets, "10.96.0.10,tcp:80") {
		t.Errorf("ipset:\n%s", sets)
	}
}
