package kindtier

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/kubeproxy"
)

// IPVSFromProc renders /proc/net/ip_vs (hex addresses) the way `ipvsadm
// -Ln` prints its table, so the parsers of the kube-proxy tier read it:
// the node has no ipvsadm, and the kernel's own table needs none.
func IPVSFromProc(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && (f[0] == "TCP" || f[0] == "UDP" || f[0] == "SCTP"):
			f[1] = hexAddr(f[1])
			b.WriteString(strings.Join(f, " ") + "\n")
		case len(f) >= 2 && f[0] == "->" && f[1] != "RemoteAddress:Port":
			f[1] = hexAddr(f[1])
			b.WriteString("  " + strings.Join(f, " ") + "\n")
		default:
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// hexAddr turns "0A60000A:0050" into "10.96.0.10:80"; anything else (IPv6
// in brackets, fwmarks) is left as the kernel printed it.
func hexAddr(s string) string {
	h, p, ok := strings.Cut(s, ":")
	if !ok || len(h) != 8 || len(p) != 4 {
		return s
	}
	ip, err1 := hex.DecodeString(h)
	port, err2 := strconv.ParseUint(p, 16, 16)
	if err1 != nil || err2 != nil {
		return s
	}
	return net.JoinHostPort(net.IP(ip).String(), strconv.Itoa(int(port)))
}

// TakingTraffic lists the pod IPs the dataplane sends new connections to for
// vip: IPVS real servers with weight > 0, or the DNAT targets of the rules.
func TakingTraffic(mode scenario.ProxyMode, rules, ipvsTable, vip string, targetPort int) []string {
	var out []string
	if mode == scenario.ModeIPVS {
		for ip, w := range kubeproxy.IPVSDests(ipvsTable, vip) {
			if w > 0 {
				out = append(out, ip)
			}
		}
	} else {
		out = kubeproxy.DNATTargets(rules, targetPort)
	}
	sort.Strings(out)
	return out
}

// RealServers lists every IPVS real server of vip, weight 0 included.
func RealServers(ipvsTable, vip string) []string {
	var out []string
	for ip := range kubeproxy.IPVSDests(ipvsTable, vip) {
		out = append(out, ip)
	}
	sort.Strings(out)
	return out
}

// Node reads the kind node's dataplane from the guest: the IPVS table
// through /proc/<pid>/net (no process switch), the rules and sets with the
// kube-proxy container's own tools in its mount and network namespaces.
type Node struct {
	PID int // node container's init (its netns)
}

// KubeProxyPID finds kube-proxy among the guest's processes (containers
// share the guest's kernel and so its /proc).
func KubeProxyPID() (int, error) {
	ents, err := filepath.Glob("/proc/[0-9]*/comm")
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		b, err := os.ReadFile(e)
		if err == nil && strings.TrimSpace(string(b)) == "kube-proxy" {
			return strconv.Atoi(filepath.Base(filepath.Dir(e)))
		}
	}
	return 0, fmt.Errorf("no kube-proxy process in the guest")
}

// IPVS is the node's IPVS table in ipvsadm -Ln form.
func (n Node) IPVS() (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/ip_vs", n.PID))
	if err != nil {
		return "", err
	}
	return IPVSFromProc(string(b)), nil
}

// inKubeProxy runs a netfilter tool of the kube-proxy image in its namespaces.
func inKubeProxy(ctx context.Context, args ...string) (string, error) {
	pid, err := KubeProxyPID()
	if err != nil {
		return "", err
	}
	return inNamespacesOf(ctx, pid, args...)
}

// inNode runs a netfilter tool of the node image in the node's namespaces.
func (n Node) inNode(ctx context.Context, args ...string) (string, error) {
	return inNamespacesOf(ctx, n.PID, args...)
}

// inNamespacesOf runs a command with process pid's mount and network
// namespaces: that container's own binaries, on its own tables.
func inNamespacesOf(ctx context.Context, pid int, args ...string) (string, error) {
	return command(ctx, nil, nil, "nsenter", append([]string{"-t", strconv.Itoa(pid), "-m", "-n", "--"}, args...)...)
}

// Rules reads what kube-proxy programmed for mode: nat rules (iptables and
// ipvs modes) or kube-proxy's nft table. kube-proxy's image carries only
// the iptables extensions kube-proxy uses; a rule of another writer in the
// same table (the CNI plugin's masquerading, kind's DNS DNAT) can make its
// iptables-save fail ("target extension not found", 5.10-revert-C,
// 2026-12-03), so the node image's full iptables reads it then, and the
// read-back says so.
func (n Node) Rules(ctx context.Context, mode scenario.ProxyMode, full bool) (string, error) {
	var args []string
	switch {
	case mode == scenario.ModeNFTables && full:
		args = []string{"nft", "list", "ruleset"}
	case mode == scenario.ModeNFTables:
		args = []string{"nft", "list", "table", "ip", "kube-proxy"}
	case full:
		args = []string{"iptables-save"}
	default:
		args = []string{"iptables-save", "-t", "nat"}
	}
	out, err := inKubeProxy(ctx, args...)
	if err == nil || n.PID == 0 {
		return out, err
	}
	alt, altErr := n.inNode(ctx, args...)
	if altErr != nil {
		return out, fmt.Errorf("%w (and with the node's own tools: %v)", err, altErr)
	}
	return "# read with the node image's " + args[0] + ": kube-proxy's failed: " + firstLine(err.Error()) + "\n" + alt, nil
}

// IPSets is `ipset list` in the node (ipvs mode).
func (n Node) IPSets(ctx context.Context) (string, error) { return inKubeProxy(ctx, "ipset", "list") }

// Taking is the set of pod IPs taking new connections for vip right now.
func (n Node) Taking(ctx context.Context, mode scenario.ProxyMode, vip string) (taking, servers []string, err error) {
	if mode == scenario.ModeIPVS {
		t, err := n.IPVS()
		if err != nil {
			return nil, nil, err
		}
		return TakingTraffic(mode, "", t, vip, ServerPort), RealServers(t, vip), nil
	}
	r, err := n.Rules(ctx, mode, false)
	if err != nil {
		return nil, nil, err
	}
	return TakingTraffic(mode, r, "", vip, ServerPort), nil, nil
}
