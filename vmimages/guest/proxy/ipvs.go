package proxy

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/evlog"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/sh"
)

// IPVSConfig holds the knobs a cell turns on kube-proxy's ipvs mode.
type IPVSConfig struct {
	ConnReuse        scenario.ConnReuseDecision
	ExpireNodestConn int
	RSCheckInterval  time.Duration // graceful-deletion re-check (kube-proxy: 1 minute)
	IPTablesBackend  scenario.IPTablesBackend
	Events           *evlog.Log
}

// IPVS is kube-proxy's ipvs mode: VIP on kube-ipvs0, an rr NAT virtual
// server, the ipset-based iptables companions, and graceful real-server
// deletion (weight 0, delete once ActiveConn+InactConn == 0).
type IPVS struct {
	svc     Service
	cfg     IPVSConfig
	restore string
	save    string
	h       *ipvs.Handle
	vs      *ipvs.Service

	mu       sync.Mutex
	current  map[string]Endpoint
	graceful map[string]Endpoint // weight 0, waiting for its connections to end
	stop     chan struct{}
	done     chan struct{}
}

// NewIPVS returns the ipvs-mode programmer for svc (node = root netns).
func NewIPVS(svc Service, cfg IPVSConfig) *IPVS {
	r, s := restoreCmd(cfg.IPTablesBackend)
	return &IPVS{svc: svc, cfg: cfg, restore: r, save: s,
		current: map[string]Endpoint{}, graceful: map[string]Endpoint{}}
}

func (p *IPVS) sysctls() error {
	// Same order and values as kube-proxy's ipvs proxier.
	if err := node.SetSysctl("net/ipv4/vs/conntrack", "1"); err != nil {
		return err
	}
	if p.cfg.ConnReuse.Set {
		if err := node.SetSysctl("net/ipv4/vs/conn_reuse_mode", strconv.Itoa(p.cfg.ConnReuse.Value)); err != nil {
			return err
		}
	}
	if err := node.SetSysctl("net/ipv4/vs/expire_nodest_conn", strconv.Itoa(p.cfg.ExpireNodestConn)); err != nil {
		return err
	}
	if err := node.SetSysctl("net/ipv4/vs/expire_quiescent_template", "1"); err != nil {
		return err
	}
	return node.SetSysctl("net/ipv4/ip_forward", "1")
}

func (p *IPVS) Setup() error {
	if err := p.sysctls(); err != nil {
		return err
	}
	// kube-proxy creates kube-ipvs0 and leaves it down: the VIP's local
	// route exists anyway, and the VIP never answers ARP.
	dummy := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "kube-ipvs0"}}
	if err := netlink.LinkAdd(dummy); err != nil {
		return fmt.Errorf("add kube-ipvs0: %w", err)
	}
	vip := &netlink.Addr{IPNet: &net.IPNet{IP: p.svc.ClusterIP, Mask: net.CIDRMask(32, 32)}}
	if err := netlink.AddrAdd(dummy, vip); err != nil {
		return fmt.Errorf("bind %s to kube-ipvs0: %w", p.svc.ClusterIP, err)
	}
	if _, err := sh.Run(IPSetRestore(p.svc, nil), "ipset", "restore", "-exist"); err != nil {
		return fmt.Errorf("ipsets: %w", err)
	}
	// The jumps from the built-in chains, then the rules, in one restore:
	// its table blocks apply in order, as two runs would, for one exec.
	if _, err := sh.Run(IPVSModeJumps()+IPVSModeRules(p.svc), p.restore, "--noflush"); err != nil {
		return fmt.Errorf("ipvs-mode iptables: %w", err)
	}
	h, err := ipvs.New("")
	if err != nil {
		return fmt.Errorf("ipvs netlink: %w", err)
	}
	p.h = h
	p.vs = &ipvs.Service{Address: p.svc.ClusterIP, Protocol: syscall.IPPROTO_TCP, Port: uint16(p.svc.Port),
		SchedName: "rr", AddressFamily: syscall.AF_INET, Netmask: 0xffffffff}
	if err := h.NewService(p.vs); err != nil {
		return fmt.Errorf("ipvs virtual server %s:%d: %w", p.svc.ClusterIP, p.svc.Port, err)
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.gracefulLoop()
	return nil
}

func (p *IPVS) dest(e Endpoint, weight int) *ipvs.Destination {
	return &ipvs.Destination{Address: e.IP, Port: uint16(p.svc.TargetPort), Weight: weight,
		ConnectionFlags: ipvs.ConnectionFlagMasq, AddressFamily: syscall.AF_INET}
}

func (p *IPVS) SetEndpoints(eps []Endpoint) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	next, gone := diffEndpoints(p.current, eps)
	if _, err := sh.Run(IPSetRestore(p.svc, eps), "ipset", "restore", "-exist"); err != nil {
		return fmt.Errorf("ipsets: %w", err)
	}
	for k, e := range next {
		if _, ok := p.current[k]; ok {
			continue
		}
		if _, ok := p.graceful[k]; ok {
			// back before it was deleted: kube-proxy takes it off the list
			delete(p.graceful, k)
			if err := p.h.UpdateDestination(p.vs, p.dest(e, 1)); err != nil {
				return fmt.Errorf("restore weight of %s: %w", e.IP, err)
			}
			continue
		}
		if err := p.h.NewDestination(p.vs, p.dest(e, 1)); err != nil {
			return fmt.Errorf("add real server %s: %w", e.IP, err)
		}
	}
	for _, e := range gone {
		if err := p.gracefulDelete(e); err != nil {
			return err
		}
	}
	p.current = next
	return nil
}

// gracefulDelete is GracefulTerminationManager.GracefulDeleteRS: delete at
// once when the real server has no connections, else weight 0 and retry.
func (p *IPVS) gracefulDelete(e Endpoint) error {
	deleted, err := p.tryDelete(e)
	if err != nil || deleted {
		return err
	}
	if err := p.h.UpdateDestination(p.vs, p.dest(e, 0)); err != nil {
		return fmt.Errorf("weight 0 for %s: %w", e.IP, err)
	}
	p.cfg.Events.Add(scenario.EvWeightZero, e.Pod, e.IP.String(), "")
	p.graceful[e.IP.String()] = e
	return nil
}

// tryDelete is deleteRsFunc: TCP real servers go only once
// ActiveConn+InactConn == 0.
func (p *IPVS) tryDelete(e Endpoint) (bool, error) {
	ds, err := p.h.GetDestinations(p.vs)
	if err != nil {
		return false, fmt.Errorf("list real servers: %w", err)
	}
	for _, d := range ds {
		if !d.Address.Equal(e.IP) || int(d.Port) != p.svc.TargetPort {
			continue
		}
		if n := d.ActiveConnections + d.InactiveConnections; n != 0 {
			return false, nil
		}
		if err := p.h.DelDestination(p.vs, d); err != nil {
			return false, fmt.Errorf("delete real server %s: %w", e.IP, err)
		}
		p.cfg.Events.Add(scenario.EvRSDeleted, e.Pod, e.IP.String(), "")
		return true, nil
	}
	return true, fmt.Errorf("real server %s not found", e.IP)
}

func (p *IPVS) gracefulLoop() {
	defer close(p.done)
	t := time.NewTicker(p.cfg.RSCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		for k, e := range p.graceful {
			if ok, err := p.tryDelete(e); err != nil {
				p.cfg.Events.Add("graceful-delete-error", e.Pod, e.IP.String(), err.Error())
				delete(p.graceful, k)
			} else if ok {
				delete(p.graceful, k)
			}
		}
		p.mu.Unlock()
	}
}

func (p *IPVS) ReadBack() (string, string, string) {
	// Three tool runs at once: each is mostly exec and dynamic linking
	// (~50-70 ms under TCG), and they read state nothing changes meanwhile.
	out := sh.RunAll([][]string{{p.save}, {"ipvsadm", "-Ln"}, {"ipset", "list"}})
	return out[0], out[1], out[2]
}

func (p *IPVS) Close() error {
	if p.stop != nil {
		close(p.stop)
		<-p.done
		p.stop = nil
	}
	if p.h != nil {
		p.h.Close()
		p.h = nil
	}
	return nil
}
