package proxy

import (
	"fmt"

	"sync"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/sh"
)

// IPTablesBackend picks the iptables flavour: "nft" (Debian's default
// iptables) or "legacy".
func restoreCmd(backend scenario.IPTablesBackend) (restore, save string) {
	if backend == scenario.BackendLegacy {
		return "iptables-legacy-restore", "iptables-legacy-save"
	}
	return "iptables-nft-restore", "iptables-nft-save"
}

// IPTables is kube-proxy's iptables mode: every endpoint change rewrites the
// service's chains in one atomic iptables-restore.
type IPTables struct {
	svc           Service
	restore, save string
	mu            sync.Mutex
	current       map[string]Endpoint // by IP
}

// NewIPTables returns the iptables-mode programmer for svc.
func NewIPTables(svc Service, backend scenario.IPTablesBackend) *IPTables {
	r, s := restoreCmd(backend)
	return &IPTables{svc: svc, restore: r, save: s, current: map[string]Endpoint{}}
}

func (p *IPTables) Setup() error {
	if _, err := sh.Run(IPTablesJumps(), p.restore, "--noflush"); err != nil {
		return fmt.Errorf("iptables jumps: %w", err)
	}
	return p.SetEndpoints(nil)
}

func (p *IPTables) SetEndpoints(eps []Endpoint) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	next, stale := diffEndpoints(p.current, eps)
	if _, err := sh.Run(IPTablesRules(p.svc, eps, stale), p.restore, "--noflush"); err != nil {
		return fmt.Errorf("iptables sync: %w", err)
	}
	p.current = next
	return nil
}

func (p *IPTables) ReadBack() (string, string, string) {
	return sh.Dump(p.save), "", ""
}

func (p *IPTables) Close() error { return nil }

// diffEndpoints returns the new endpoint map and the endpoints that left.
func diffEndpoints(cur map[string]Endpoint, eps []Endpoint) (map[string]Endpoint, []Endpoint) {
	next := map[string]Endpoint{}
	for _, e := range eps {
		next[e.IP.String()] = e
	}
	var stale []Endpoint
	for k, e := range cur {
		if _, ok := next[k]; !ok {
			stale = append(stale, e)
		}
	}
	return next, sortEndpoints(stale)
}
