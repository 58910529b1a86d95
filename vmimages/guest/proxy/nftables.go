package proxy

import (
	"fmt"
	"sync"

	"github.com/rolloutlab/rolloutlab/vmimages/guest/sh"
)

// NFTables is kube-proxy's nftables mode: table "ip kube-proxy" rewritten by
// one atomic nft transaction per endpoint change.
type NFTables struct {
	svc     Service
	mu      sync.Mutex
	current map[string]Endpoint
}

// NewNFTables returns the nftables-mode programmer for svc.
func NewNFTables(svc Service) *NFTables {
	return &NFTables{svc: svc, current: map[string]Endpoint{}}
}

func (p *NFTables) Setup() error { return p.SetEndpoints(nil) }

func (p *NFTables) SetEndpoints(eps []Endpoint) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	next, stale := diffEndpoints(p.current, eps)
	if _, err := sh.Run(NFTablesRules(p.svc, eps, stale), "nft", "-f", "-"); err != nil {
		return fmt.Errorf("nft sync: %w", err)
	}
	p.current = next
	return nil
}

func (p *NFTables) ReadBack() (string, string, string) {
	return sh.Dump("nft", "list", "ruleset"), "", ""
}

func (p *NFTables) Close() error { return nil }
