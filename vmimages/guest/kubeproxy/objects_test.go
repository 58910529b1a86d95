package kubeproxy

import (
	"encoding/json"
	"strings"
	"testing"
)

var web = ServiceSpec{Namespace: "default", Name: "web", PortName: "http", ClusterIP: "10.96.0.10", Port: 80, TargetPort: 8080}

type sliceJSON struct {
	APIVersion, Kind, AddressType string
	Metadata                      struct {
		Name, Namespace string
		Labels          map[string]string
	}
	Ports []struct {
		Name, Protocol string
		Port           int
	}
	Endpoints []struct {
		Addresses  []string
		Conditions struct{ Ready, Serving, Terminating bool }
		NodeName   string
		TargetRef  struct{ Kind, Name string }
	}
}

func conds(t *testing.T, eps []EndpointState) string {
	t.Helper()
	var s sliceJSON
	if err := json.Unmarshal(SliceObject(web, eps), &s); err != nil {
		t.Fatal(err)
	}
	if s.APIVersion != "discovery.k8s.io/v1" || s.Kind != "EndpointSlice" || s.AddressType != "IPv4" ||
		s.Metadata.Labels["kubernetes.io/service-name"] != "web" || len(s.Ports) != 1 || s.Ports[0].Port != 8080 {
		t.Fatalf("slice header wrong: %+v", s)
	}
	var out []string
	for _, e := range s.Endpoints {
		c := e.Conditions
		out = append(out, e.TargetRef.Name+"@"+e.Addresses[0]+":"+condFlag(c.Ready, "R")+condFlag(c.Serving, "S")+condFlag(c.Terminating, "T"))
	}
	return strings.Join(out, " ")
}

func condFlag(b bool, s string) string {
	if b {
		return s
	}
	return "-"
}

// One rolling update (3 replicas, surge 1, unavailable 0), step by step, as
// the EndpointSlice controller would write it.
func TestSliceForEachRolloutStep(t *testing.T) {
	v1 := []Ready{{"web-v1-0", "10.244.0.2"}, {"web-v1-1", "10.244.0.3"}, {"web-v1-2", "10.244.0.4"}}
	var eps []EndpointState
	steps := []struct {
		name string
		do   func()
		want string
	}{
		{"initial pods ready", func() { eps = Transition(eps, v1) },
			"web-v1-0@10.244.0.2:RS- web-v1-1@10.244.0.3:RS- web-v1-2@10.244.0.4:RS-"},
		{"new pod ready", func() { eps = Transition(eps, append(v1, Ready{"web-v2-0", "10.244.0.5"})) },
			"web-v1-0@10.244.0.2:RS- web-v1-1@10.244.0.3:RS- web-v1-2@10.244.0.4:RS- web-v2-0@10.244.0.5:RS-"},
		{"old pod deleted: terminating, still serving", func() { eps = Transition(eps, append(v1[1:], Ready{"web-v2-0", "10.244.0.5"})) },
			"web-v1-0@10.244.0.2:-ST web-v1-1@10.244.0.3:RS- web-v1-2@10.244.0.4:RS- web-v2-0@10.244.0.5:RS-"},
		{"old pod gone: removed", func() {
			eps, _ = Remove(eps, func(e EndpointState) bool { return e.Pod == "web-v1-0" })
		}, "web-v1-1@10.244.0.3:RS- web-v1-2@10.244.0.4:RS- web-v2-0@10.244.0.5:RS-"},
	}
	for _, s := range steps {
		s.do()
		if got := conds(t, eps); got != s.want {
			t.Errorf("%s:\n got %s\nwant %s", s.name, got, s.want)
		}
	}
	if got := strings.Join(ReadyIPs(eps), ","); got != "10.244.0.3,10.244.0.4,10.244.0.5" {
		t.Errorf("ready IPs %s", got)
	}
}

func TestRemoveKeepsReadyEndpoints(t *testing.T) {
	eps := []EndpointState{{Pod: "a", IP: "10.244.0.2", Ready: true, Serving: true}}
	out, changed := Remove(eps, func(EndpointState) bool { return true })
	if changed || len(out) != 1 {
		t.Fatalf("a ready endpoint was removed: %v %v", out, changed)
	}
}

func TestSliceIsSortedByIP(t *testing.T) {
	got := conds(t, []EndpointState{{Pod: "b", IP: "10.244.0.10", Ready: true}, {Pod: "a", IP: "10.244.0.9", Ready: true}})
	if !strings.HasPrefix(got, "a@10.244.0.9") {
		t.Errorf("not sorted numerically: %s", got)
	}
}

func TestNodeAndServiceObjects(t *testing.T) {
	var n struct {
		Metadata struct{ Name string }
		Status   struct {
			Addresses []struct{ Type, Address string }
		}
	}
	if err := json.Unmarshal(NodeObject("192.168.0.2", "10.244.0.0/24"), &n); err != nil {
		t.Fatal(err)
	}
	if n.Metadata.Name != NodeName || n.Status.Addresses[0].Address != "192.168.0.2" {
		t.Errorf("node: %+v", n)
	}
	var s struct {
		Spec struct {
			ClusterIP string
			Selector  map[string]string
			Ports     []struct{ Port, TargetPort int }
		}
	}
	if err := json.Unmarshal(ServiceObject(web), &s); err != nil {
		t.Fatal(err)
	}
	if s.Spec.ClusterIP != "10.96.0.10" || s.Spec.Selector != nil || s.Spec.Ports[0].TargetPort != 8080 {
		t.Errorf("service: %+v", s)
	}
}

// Pre-1.22 kube-proxies read core/v1 Endpoints: terminating pods are gone
// from it at once, not-ready pods are notReadyAddresses, empty is no subset.
func TestEndpointsObjectLikeTheOldEndpointsController(t *testing.T) {
	type addr struct {
		IP        string
		TargetRef struct{ Name string }
	}
	var e struct {
		APIVersion, Kind string
		Metadata         struct{ Name, Namespace string }
		Subsets          []struct {
			Addresses, NotReadyAddresses []addr
			Ports                        []struct {
				Name, Protocol string
				Port           int
			}
		}
	}
	eps := []EndpointState{
		{Pod: "web-b", IP: "10.244.0.10", Ready: true, Serving: true},
		{Pod: "web-a", IP: "10.244.0.9", Serving: true, Terminating: true},
		{Pod: "web-c", IP: "10.244.0.2"},
		{Pod: "web-d", IP: "10.244.0.3", Ready: true, Serving: true},
	}
	if err := json.Unmarshal(EndpointsObject(web, eps), &e); err != nil {
		t.Fatal(err)
	}
	if e.APIVersion != "v1" || e.Kind != "Endpoints" || e.Metadata.Name != "web" || len(e.Subsets) != 1 {
		t.Fatalf("header wrong: %+v", e)
	}
	ss := e.Subsets[0]
	var ready []string
	for _, a := range ss.Addresses {
		ready = append(ready, a.IP+"="+a.TargetRef.Name)
	}
	if got := strings.Join(ready, " "); got != "10.244.0.3=web-d 10.244.0.10=web-b" {
		t.Errorf("addresses %q (terminating web-a must be absent, order by IP)", got)
	}
	if len(ss.NotReadyAddresses) != 1 || ss.NotReadyAddresses[0].IP != "10.244.0.2" {
		t.Errorf("notReadyAddresses %+v", ss.NotReadyAddresses)
	}
	if len(ss.Ports) != 1 || ss.Ports[0].Port != 8080 || ss.Ports[0].Name != "http" || ss.Ports[0].Protocol != "TCP" {
		t.Errorf("ports %+v", ss.Ports)
	}
	if err := json.Unmarshal(EndpointsObject(web, eps[1:2]), &e); err != nil || len(e.Subsets) != 0 {
		t.Errorf("only a terminating pod: want no subsets, got %+v (%v)", e.Subsets, err)
	}
}
