// Package proxy programs a node's service dataplane the way kube-proxy does
// in its ipvs, iptables and nftables modes, for one ClusterIP service.
package proxy

import (
	"fmt"
	"net"
	"sort"
	"strconv"
)

// Service is the one ClusterIP service port of a cell.
type Service struct {
	Namespace, Name, PortName string
	ClusterIP                 net.IP
	Port                      int // service port
	TargetPort                int // pod port
	ClusterCIDR               string
	ServiceCIDR               string
	NodeIP                    string
}

// Endpoint is a ready pod behind the service.
type Endpoint struct {
	Pod string
	IP  net.IP
}

// PortName is kube-proxy's ServicePortName.String(): "ns/name:port".
func (s Service) PortNameString() string {
	return fmt.Sprintf("%s/%s:%s", s.Namespace, s.Name, s.PortName)
}

// EndpointString is "ip:port" as kube-proxy's endpoint.String().
func (s Service) EndpointString(e Endpoint) string {
	return net.JoinHostPort(e.IP.String(), strconv.Itoa(s.TargetPort))
}

// sortEndpoints orders endpoints by IP the way kube-proxy's endpoint lists
// come out, and drops duplicates.
func sortEndpoints(eps []Endpoint) []Endpoint {
	out := append([]Endpoint(nil), eps...)
	sort.Slice(out, func(i, j int) bool { return out[i].IP.String() < out[j].IP.String() })
	return out
}

// Programmer is one proxy mode's dataplane.
type Programmer interface {
	// Setup installs the service with no endpoints.
	Setup() error
	// SetEndpoints makes the ready endpoint set eps, as a kube-proxy sync would.
	SetEndpoints(eps []Endpoint) error
	// ReadBack returns the effective rules ("iptables-save"/"nft list
	// ruleset"), IPVS table ("ipvsadm -Ln") and ipsets, where the mode has them.
	ReadBack() (rules, ipvsTable, ipsets string)
	// Close stops background work (IPVS graceful deletion).
	Close() error
}
