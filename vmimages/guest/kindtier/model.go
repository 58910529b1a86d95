package kindtier

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/evlog"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/kubeproxy"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/proxy"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/sh"
)

// The fidelity check of the kind tier: what kind's kube-proxy programmed in
// the node for the cell's Service, against what the dataplane tier programs
// for the same Service and endpoints. The dataplane tier writes the network
// namespace it runs in (and flushes it), so it runs as the agent's
// ModelCommand in a network namespace of its own that dies with it: the
// guest's root namespace (docker's rules) and the node's stay untouched.

// kind's defaults, which the seeded cluster config keeps: the pod subnet
// (harness/kindcluster.PodSubnet; kube-proxy's clusterCIDR, read from its
// configuration when there) and the Service subnet.
const (
	DefaultPodSubnet     = "10.244.0.0/16"
	DefaultServiceSubnet = "10.96.0.0/16"
)

// ModelCommand is the agent subcommand that programs a ModelSpec.
const ModelCommand = "dataplane-model"

// ModelSpec is one Service as the dataplane tier programs it.
type ModelSpec struct {
	Mode             scenario.ProxyMode         `json:"mode"`
	Service          proxy.Service              `json:"service"`
	Endpoints        []proxy.Endpoint           `json:"endpoints"`
	ConnReuse        scenario.ConnReuseDecision `json:"conn_reuse"`
	ExpireNodestConn int                        `json:"expire_nodest_conn"`
}

// ModelMain is ModelCommand: the spec as JSON on stdin, programmed in the
// current network namespace, read back as a kubeproxy.Snapshot on stdout.
func ModelMain(args []string) int {
	if err := modelMain(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", ModelCommand, err)
		return 1
	}
	return 0
}

func modelMain(in io.Reader, out io.Writer) error {
	var spec ModelSpec
	if err := json.NewDecoder(in).Decode(&spec); err != nil {
		return fmt.Errorf("spec on stdin: %w", err)
	}
	var p proxy.Programmer
	switch spec.Mode {
	case scenario.ModeIPVS:
		// no endpoint leaves here: kube-proxy's 1 min re-check of graceful
		// deletions never fires
		p = proxy.NewIPVS(spec.Service, proxy.IPVSConfig{ConnReuse: spec.ConnReuse, ExpireNodestConn: spec.ExpireNodestConn,
			RSCheckInterval: time.Minute, IPTablesBackend: scenario.BackendNFT, Events: &evlog.Log{}})
	case scenario.ModeIPTables:
		p = proxy.NewIPTables(spec.Service, scenario.BackendNFT)
	case scenario.ModeNFTables:
		p = proxy.NewNFTables(spec.Service)
	default:
		return fmt.Errorf("mode %q: want ipvs, iptables or nftables", spec.Mode)
	}
	defer p.Close()
	if err := p.Setup(); err != nil {
		return fmt.Errorf("%s setup: %w", spec.Mode, err)
	}
	if err := p.SetEndpoints(spec.Endpoints); err != nil {
		return fmt.Errorf("%s endpoints: %w", spec.Mode, err)
	}
	rules, _, _ := p.ReadBack()
	snap := kubeproxy.Snapshot{Rules: rules}
	if spec.Mode == scenario.ModeIPVS {
		// read the way the node is read: /proc (the engine root has no
		// ipvsadm) and ipset
		table, err := os.ReadFile("/proc/self/net/ip_vs")
		if err != nil {
			return err
		}
		snap.IPVS = IPVSFromProc(string(table))
		if snap.IPSets, err = sh.Run("", "ipset", "list"); err != nil {
			return fmt.Errorf("ipset list: %w", err)
		}
	}
	return json.NewEncoder(out).Encode(snap)
}

// RunModel runs ModelCommand of this binary in a new network namespace.
// /proc/self/exe, not a path: the agent's binary has no path in the disk
// root it switched to.
func RunModel(ctx context.Context, spec ModelSpec) (kubeproxy.Snapshot, error) {
	var snap kubeproxy.Snapshot
	in, err := json.Marshal(spec)
	if err != nil {
		return snap, err
	}
	cmd := exec.CommandContext(ctx, "/proc/self/exe", ModelCommand)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	cmd.Env = append(os.Environ(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	cmd.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return snap, fmt.Errorf("%s in a new network namespace: %w: %s", ModelCommand, err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(out, &snap); err != nil {
		return snap, fmt.Errorf("%s output: %w", ModelCommand, err)
	}
	return snap, nil
}

// ClusterFacts is what the fidelity check needs from the API: the node's
// InternalIP and every Service port other than the cell's, with endpoints.
type ClusterFacts struct {
	NodeIP string
	Others []kubeproxy.ServicePort
}

// ParseClusterFacts reads `kubectl get services,endpointslices,nodes -A -o
// json`, leaving out Service skip (namespace default).
func ParseClusterFacts(raw []byte, skip string) (ClusterFacts, error) {
	var list struct {
		Items []struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Namespace string            `json:"namespace"`
				Name      string            `json:"name"`
				Labels    map[string]string `json:"labels"`
			} `json:"metadata"`
			Spec struct {
				ClusterIP string `json:"clusterIP"`
				Ports     []struct {
					Name     string `json:"name"`
					Protocol string `json:"protocol"`
				} `json:"ports"`
			} `json:"spec"`
			Status struct {
				Addresses []struct{ Type, Address string } `json:"addresses"`
			} `json:"status"`
			// EndpointSlice
			Ports []struct {
				Name *string `json:"name"`
				Port *int    `json:"port"`
			} `json:"ports"`
			Endpoints []struct {
				Addresses []string `json:"addresses"`
			} `json:"endpoints"`
		} `json:"items"`
	}
	var f ClusterFacts
	if err := json.Unmarshal(raw, &list); err != nil {
		return f, fmt.Errorf("cluster objects: %w", err)
	}
	type key struct{ ns, svc, port string }
	eps := map[key][]string{}
	for _, it := range list.Items {
		if it.Kind != "EndpointSlice" {
			continue
		}
		svc := it.Metadata.Labels["kubernetes.io/service-name"]
		for _, p := range it.Ports {
			if p.Port == nil {
				continue
			}
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			k := key{it.Metadata.Namespace, svc, name}
			for _, e := range it.Endpoints {
				for _, a := range e.Addresses {
					eps[k] = append(eps[k], net.JoinHostPort(a, fmt.Sprint(*p.Port)))
				}
			}
		}
	}
	for _, it := range list.Items {
		switch it.Kind {
		case "Node":
			for _, a := range it.Status.Addresses {
				if a.Type == "InternalIP" && f.NodeIP == "" {
					f.NodeIP = a.Address
				}
			}
		case "Service":
			if (it.Metadata.Namespace == "default" && it.Metadata.Name == skip) || it.Spec.ClusterIP == "" || it.Spec.ClusterIP == "None" {
				continue
			}
			for _, p := range it.Spec.Ports {
				f.Others = append(f.Others, kubeproxy.ServicePort{Namespace: it.Metadata.Namespace, Name: it.Metadata.Name,
					PortName: p.Name, Protocol: strings.ToLower(p.Protocol), ClusterIP: it.Spec.ClusterIP,
					Endpoints: eps[key{it.Metadata.Namespace, it.Metadata.Name, p.Name}]})
			}
		}
	}
	if f.NodeIP == "" {
		return f, fmt.Errorf("cluster objects: no node with an InternalIP")
	}
	sort.Slice(f.Others, func(i, j int) bool {
		a, b := f.Others[i], f.Others[j]
		return a.Namespace+"/"+a.Name+":"+a.PortName < b.Namespace+"/"+b.Name+":"+b.PortName
	})
	return f, nil
}

// Ignores is every line marker of the other Services.
func (f ClusterFacts) Ignores() []string {
	var out []string
	for _, p := range f.Others {
		out = append(out, p.Ignores()...)
	}
	return out
}

// kindExplanations are the differences a kind node has against the
// dataplane tier's empty network namespace that are not kube-proxy's: other
// writers share the node's tables. Compiled on first use, not at every
// agent process's start.
var kindExplanations = sync.OnceValue(func() []kindExplanation {
	return []kindExplanation{
		{regexp.MustCompile(`^rules: only kube-proxy: .*\bDOCKER_(OUTPUT|POSTROUTING)\b`),
			"docker's embedded DNS server (127.0.0.11) in the node container: dockerd's DNAT/SNAT rules, not kube-proxy's"},
		{regexp.MustCompile(`^rules: only kube-proxy: .*\bCNI-[\w-]+\b`),
			"the node image's CNI plugins (ptp's per-pod ipMasq chains, portmap's hostport chains), not kube-proxy's"},
		{regexp.MustCompile(`^rules: only kube-proxy: .*\bKUBE-KUBELET-CANARY\b`),
			"the kubelet's canary chain (it watches for a flush of its tables), not kube-proxy's"},
		{regexp.MustCompile(`^rules: only kube-proxy: \[filter\] .*\bKUBE-FIREWALL\b`),
			"the kubelet's KUBE-FIREWALL (its guard against route_localnet, kubernetes#90259): kube-proxy's iptables mode writes the same rule, its ipvs mode does not"},
		{regexp.MustCompile(`^rules: only kube-proxy: \[mangle\] :KUBE-IPTABLES-HINT\b`),
			"the kubelet's hint chain (since v1.24 it marks which iptables backend the node uses), not kube-proxy's"},
		{regexp.MustCompile(`^rules: only kube-proxy: \[\w+\] :(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) (ACCEPT|DROP)$`),
			"a table's built-in chain, there because another writer on the node uses that table"},
		{regexp.MustCompile(`^rules: only kube-proxy: \[(inet|ip|ip6) (nat|filter|mangle|raw|security)[^\]]*\] `),
			"a table of another writer on the node (the CNI plugins, the kubelet or docker through iptables-nft); kube-proxy's nftables mode writes only its kube-proxy tables"},
	}
})

type kindExplanation struct {
	match *regexp.Regexp
	why   string
}

// explainKind files the differences kindExplanations account for under
// Explained, with their cause.
func explainKind(f *scenario.Fidelity) {
	var left []string
	for _, d := range f.Differences {
		why := ""
		for _, e := range kindExplanations() {
			if e.match.MatchString(d) {
				why = e.why
				break
			}
		}
		if why == "" {
			left = append(left, d)
			continue
		}
		f.Explained = append(f.Explained, d+": "+why)
	}
	f.Differences = append([]string{}, left...)
}

// CompareWithModel is the kind cell's fidelity report: node is what the
// node's kube-proxy programmed with eps ready, model what the dataplane
// tier programs for the same Service and endpoints.
func CompareWithModel(mode scenario.ProxyMode, version string, node, model kubeproxy.Snapshot, facts ClusterFacts, endpoints int) scenario.Fidelity {
	f := kubeproxy.Compare(mode, version, node, model, facts.Ignores())
	explainKind(&f)
	f.Endpoints = endpoints
	f.KubeProxy, f.Model = version, scenario.DataplaneModel
	var names []string
	for _, p := range facts.Others {
		names = append(names, p.Namespace+"/"+p.Name+":"+p.PortName)
	}
	f.IgnoredFor = "the cluster's other Services: " + strings.Join(names, ", ")
	return f
}
