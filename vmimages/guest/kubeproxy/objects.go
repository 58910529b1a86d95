package kubeproxy

import (
	"encoding/json"
	"net"
	"sort"
	"strconv"
)

// Names of the simulated cluster's objects.
const (
	NodeName  = "rolloutlab-node"
	SliceName = "web-rolloutlab"
	manager   = "rolloutlab" // field manager and endpointslice.kubernetes.io/managed-by
)

// ServiceSpec is the one ClusterIP service of a cell.
type ServiceSpec struct {
	Namespace, Name, PortName string
	ClusterIP                 string
	Port, TargetPort          int
}

// EndpointState is one pod address in the slice, with the conditions the
// EndpointSlice controller derives from the pod (KEP-1672).
type EndpointState struct {
	Pod, IP string
	// Ready: running, ready and not terminating. Serving: passes readiness
	// regardless of termination. Terminating: has a deletion timestamp.
	Ready, Serving, Terminating bool
}

type obj = map[string]any

// NodeObject is the Node a kubelet would register: kube-proxy reads its
// addresses and pod CIDR.
func NodeObject(nodeIP, podCIDR string) []byte {
	return mustJSON(obj{
		"apiVersion": "v1", "kind": "Node",
		"metadata": obj{"name": NodeName, "labels": obj{"kubernetes.io/hostname": NodeName, "kubernetes.io/os": "linux"}},
		"spec":     obj{"podCIDR": podCIDR, "podCIDRs": []string{podCIDR}},
		"status": obj{"addresses": []obj{
			{"type": "InternalIP", "address": nodeIP}, {"type": "Hostname", "address": NodeName},
		}},
	})
}

// ServiceObject is a selector-less ClusterIP Service, so no controller but
// ours writes its EndpointSlices.
func ServiceObject(s ServiceSpec) []byte {
	return mustJSON(obj{
		"apiVersion": "v1", "kind": "Service",
		"metadata": obj{"name": s.Name, "namespace": s.Namespace},
		"spec": obj{"type": "ClusterIP", "clusterIP": s.ClusterIP, "ports": []obj{{
			"name": s.PortName, "protocol": "TCP", "port": s.Port, "targetPort": s.TargetPort,
		}}},
	})
}

// SliceObject is the service's EndpointSlice holding eps, sorted by IP so
// the same state always gives the same bytes.
func SliceObject(s ServiceSpec, eps []EndpointState) []byte {
	sorted := append([]EndpointState(nil), eps...)
	sort.Slice(sorted, func(i, j int) bool { return ipLess(sorted[i].IP, sorted[j].IP) })
	list := make([]obj, 0, len(sorted))
	for _, e := range sorted {
		list = append(list, obj{
			"addresses":  []string{e.IP},
			"conditions": obj{"ready": e.Ready, "serving": e.Serving, "terminating": e.Terminating},
			"nodeName":   NodeName,
			"targetRef":  obj{"kind": "Pod", "namespace": s.Namespace, "name": e.Pod},
		})
	}
	return mustJSON(obj{
		"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
		"metadata": obj{"name": SliceName, "namespace": s.Namespace, "labels": obj{
			"kubernetes.io/service-name":             s.Name,
			"endpointslice.kubernetes.io/managed-by": manager,
		}},
		"addressType": "IPv4",
		"ports":       []obj{{"name": s.PortName, "protocol": "TCP", "port": s.TargetPort}},
		"endpoints":   list,
	})
}

// EndpointsObject is the service's core/v1 Endpoints as the endpoints
// controller of kube-proxy's time (pre-1.22) wrote it for eps: a pod with a
// deletion timestamp is left out at once (the Service does not publish
// not-ready addresses), a pod not yet ready is a notReadyAddress.
func EndpointsObject(s ServiceSpec, eps []EndpointState) []byte {
	sorted := append([]EndpointState(nil), eps...)
	sort.Slice(sorted, func(i, j int) bool { return ipLess(sorted[i].IP, sorted[j].IP) })
	ready, notReady := []obj{}, []obj{}
	for _, e := range sorted {
		if e.Terminating {
			continue
		}
		a := obj{"ip": e.IP, "nodeName": NodeName, "targetRef": obj{"kind": "Pod", "namespace": s.Namespace, "name": e.Pod}}
		if e.Ready {
			ready = append(ready, a)
		} else {
			notReady = append(notReady, a)
		}
	}
	subsets := []obj{}
	if len(ready)+len(notReady) > 0 {
		ss := obj{"ports": []obj{{"name": s.PortName, "protocol": "TCP", "port": s.TargetPort}}}
		if len(ready) > 0 {
			ss["addresses"] = ready
		}
		if len(notReady) > 0 {
			ss["notReadyAddresses"] = notReady
		}
		subsets = append(subsets, ss)
	}
	return mustJSON(obj{
		"apiVersion": "v1", "kind": "Endpoints",
		"metadata": obj{"name": s.Name, "namespace": s.Namespace},
		"subsets":  subsets,
	})
}

func ipLess(a, b string) bool {
	pa, pb := net.ParseIP(a).To4(), net.ParseIP(b).To4()
	if pa == nil || pb == nil {
		return a < b
	}
	for i := range pa {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("kubeproxy: marshal of a fixed-shape object failed: " + err.Error())
	}
	return b
}

// hostPort is "ip:port".
func hostPort(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }
