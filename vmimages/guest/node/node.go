// Package node wires the guest's root network namespace as a Kubernetes node
// with a Calico-style routed CNI: every pod is a network namespace whose eth0
// (a veth) holds a /32 and routes via 169.254.1.1, answered by proxy ARP on
// the node side, where a /32 route points at the pod's veth.
package node

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/vmimages/guest/sh"
)

// Addressing of the simulated cluster.
const (
	ClusterCIDR = "10.244.0.0/16" // pod network (kube-proxy --cluster-cidr)
	ServiceCIDR = "10.96.0.0/12"
	GatewayIP   = "169.254.1.1" // Calico's fake next hop
	NodeIP      = "192.168.0.2"
	nsPrefix    = "rl-"        // our netns names under /run/netns
	vethPrefix  = "rlv"        // node-side veth names
	ipvsDummy   = "kube-ipvs0" // kube-proxy's dummy device in IPVS mode
)

// Setup brings the root namespace to a known state: lo up, a node address
// (IPVS and MASQUERADE need one), ip_forward on, and the cluster CIDR
// unreachable so a deleted pod's IP answers "no route to host" as on a node
// where the pod's /32 route is gone.
func Setup() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	// The node address sits on lo: no extra module (dummy) needed for it.
	addr, _ := netlink.ParseAddr(NodeIP + "/32")
	if err := netlink.AddrReplace(lo, addr); err != nil {
		return fmt.Errorf("node address: %w", err)
	}
	// Proxy ARP answers only for addresses the node routes out of another
	// interface; a real node reaches 169.254.1.1 via its default route. This
	// guest has no NIC, so give the gateway address a unicast route on lo.
	gw := &net.IPNet{IP: net.ParseIP(GatewayIP).To4(), Mask: net.CIDRMask(32, 32)}
	if err := netlink.RouteReplace(&netlink.Route{Dst: gw, LinkIndex: lo.Attrs().Index, Scope: netlink.SCOPE_LINK}); err != nil {
		return fmt.Errorf("route for %s: %w", GatewayIP, err)
	}
	_, cidr, _ := net.ParseCIDR(ClusterCIDR)
	if err := netlink.RouteReplace(&netlink.Route{Dst: cidr, Type: unix.RTN_UNREACHABLE}); err != nil {
		return fmt.Errorf("unreachable %s: %w", ClusterCIDR, err)
	}
	return SetSysctl("net/ipv4/ip_forward", "1")
}

// Teardown removes everything a previous cell may have left: pod
// namespaces, veths, IPVS services, iptables/nft rules, ipsets and
// conntrack entries. Missing tools or tables are not errors.
func Teardown() error {
	var errs *multierror.Error
	if ents, err := os.ReadDir("/run/netns"); err == nil {
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), nsPrefix) {
				if err := deleteNamedNetns(e.Name()); err != nil {
					errs = multierror.Append(errs, err)
				}
			}
		}
	}
	links, err := netlink.LinkList()
	if err != nil {
		errs = multierror.Append(errs, fmt.Errorf("list links: %w", err))
	}
	for _, l := range links {
		n := l.Attrs().Name
		if strings.HasPrefix(n, vethPrefix) || n == ipvsDummy {
			if err := netlink.LinkDel(l); err != nil {
				errs = multierror.Append(errs, fmt.Errorf("delete %s: %w", n, err))
			}
		}
	}
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		if h, err := ipvs.New(""); err == nil {
			if err := h.Flush(); err != nil {
				errs = multierror.Append(errs, fmt.Errorf("ipvs flush: %w", err))
			}
			h.Close()
		}
	}
	// nft flush ruleset also empties iptables-nft's tables.
	if _, err := sh.Path("nft"); err == nil {
		if _, err := sh.Run("", "nft", "flush", "ruleset"); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	if b, err := os.ReadFile("/proc/net/ip_tables_names"); err == nil && len(b) > 0 {
		var in strings.Builder
		for _, t := range strings.Fields(string(b)) {
			fmt.Fprintf(&in, "*%s\nCOMMIT\n", t)
		}
		if _, err := sh.Run(in.String(), "iptables-legacy-restore"); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	if _, err := sh.Path("ipset"); err == nil {
		if err := destroyIPSets(); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	if _, err := sh.Path("conntrack"); err == nil {
		// "conntrack -F" fails harmlessly when the module is not loaded.
		_, _ = sh.Run("", "conntrack", "-F")
	}
	_, cidr, _ := net.ParseCIDR(ClusterCIDR)
	_ = netlink.RouteDel(&netlink.Route{Dst: cidr, Type: unix.RTN_UNREACHABLE})
	if lo, err := netlink.LinkByName("lo"); err == nil {
		a, _ := netlink.ParseAddr(NodeIP + "/32")
		_ = netlink.AddrDel(lo, a)
	}
	return errs.ErrorOrNil()
}

// destroyIPSets destroys every ipset. Right after the rules that match a
// set are flushed the kernel may still hold a reference (iptables-nft
// releases it after an RCU grace period: seen on 5.10 as "Set cannot be
// destroyed: it is in use by a kernel component"), so a busy set is retried
// for up to 2 s before that counts as an error.
func destroyIPSets() error {
	var err error
	for i := 0; i < 20; i++ {
		if _, err = sh.Run("", "ipset", "destroy"); err == nil || !strings.Contains(err.Error(), "in use by a kernel component") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}
