package node

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Pod is one network namespace wired to the node.
type Pod struct {
	Name   string
	IP     net.IP
	NSName string // under /run/netns
	veth   string // node side
}

// NSPath is the namespace's bind mount, for nsenter-style entry.
func (p *Pod) NSPath() string { return "/run/netns/" + p.NSName }

// AddPod creates the namespace and wires it: eth0 with ip/32, a link route
// to 169.254.1.1 and a default route through it; on the node a veth with
// proxy_arp=1 and a /32 route to the pod. lo is brought up in the pod (IPVS
// and local sockets need it).
func AddPod(name string, ip net.IP) (*Pod, error) {
	p := &Pod{Name: name, IP: ip.To4(), NSName: nsPrefix + name,
		veth: vethName(ip)}
	if p.IP == nil {
		return nil, fmt.Errorf("pod %s: %s is not IPv4", name, ip)
	}
	if err := addNamedNetns(p.NSName); err != nil {
		return nil, fmt.Errorf("pod %s: %w", name, err)
	}
	if err := p.wire(); err != nil {
		_ = p.Delete()
		return nil, fmt.Errorf("pod %s: %w", name, err)
	}
	return p, nil
}

func (p *Pod) wire() error {
	ns, err := netns.GetFromName(p.NSName)
	if err != nil {
		return fmt.Errorf("open netns: %w", err)
	}
	defer ns.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: p.veth}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(ns))}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth %s: %w", p.veth, err)
	}
	host, err := netlink.LinkByName(p.veth)
	if err != nil {
		return fmt.Errorf("find %s: %w", p.veth, err)
	}
	if err := SetSysctl("net/ipv4/conf/"+p.veth+"/proxy_arp", "1"); err != nil {
		return err
	}
	// as Calico does: answer proxy ARP at once, not after up to 0.8 s
	if err := SetSysctl("net/ipv4/neigh/"+p.veth+"/proxy_delay", "0"); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(host); err != nil {
		return fmt.Errorf("%s up: %w", p.veth, err)
	}
	if err := netlink.RouteReplace(&netlink.Route{LinkIndex: host.Attrs().Index, Scope: netlink.SCOPE_LINK,
		Dst: &net.IPNet{IP: p.IP, Mask: net.CIDRMask(32, 32)}}); err != nil {
		return fmt.Errorf("route to pod: %w", err)
	}

	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE) // only rtnetlink: xfrm may be absent
	if err != nil {
		return fmt.Errorf("netlink in pod: %w", err)
	}
	defer h.Close()
	for _, n := range []string{"lo", "eth0"} {
		l, err := h.LinkByName(n)
		if err != nil {
			return fmt.Errorf("find %s in pod: %w", n, err)
		}
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("%s up in pod: %w", n, err)
		}
	}
	eth0, _ := h.LinkByName("eth0")
	if err := h.AddrAdd(eth0, &netlink.Addr{IPNet: &net.IPNet{IP: p.IP, Mask: net.CIDRMask(32, 32)}}); err != nil {
		return fmt.Errorf("pod address: %w", err)
	}
	gw := net.ParseIP(GatewayIP).To4()
	if err := h.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Scope: netlink.SCOPE_LINK,
		Dst: &net.IPNet{IP: gw, Mask: net.CIDRMask(32, 32)}}); err != nil {
		return fmt.Errorf("pod gateway route: %w", err)
	}
	if err := h.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: gw, Family: unix.AF_INET}); err != nil {
		return fmt.Errorf("pod default route: %w", err)
	}
	return nil
}

// Delete removes the node-side veth (its peer and the /32 route go with it,
// so the IP stops being routable at once) and the namespace.
func (p *Pod) Delete() error {
	var first error
	if l, err := netlink.LinkByName(p.veth); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			first = fmt.Errorf("delete %s: %w", p.veth, err)
		}
	}
	if err := deleteNamedNetns(p.NSName); err != nil && first == nil {
		first = err
	}
	return first
}

// vethName is unique per pod IP and within IFNAMSIZ: "rlv" + 3rd and 4th octet.
func vethName(ip net.IP) string {
	v := ip.To4()
	if v == nil {
		return vethPrefix + "bad"
	}
	return fmt.Sprintf("%s%d-%d", vethPrefix, v[2], v[3])
}
