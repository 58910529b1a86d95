package kubeproxy

// Ready is an endpoint the rollout wants in service.
type Ready struct{ Pod, IP string }

// Transition is the EndpointSlice controller's view after the set of ready
// pods became ready: those are ready and serving; an endpoint that was in
// the slice and is no longer ready is a pod being deleted, kept as
// terminating (ready=false) and still serving until its pod is gone, as the
// controller does for a deleted pod that still passes its readiness probe.
func Transition(prev []EndpointState, ready []Ready) []EndpointState {
	want := map[string]Ready{}
	for _, r := range ready {
		want[r.IP] = r
	}
	var out []EndpointState
	seen := map[string]bool{}
	for _, e := range prev {
		if r, ok := want[e.IP]; ok && !e.Terminating {
			out = append(out, EndpointState{Pod: r.Pod, IP: r.IP, Ready: true, Serving: true})
		} else {
			// a pod never comes back from terminating: its IP is not reused
			out = append(out, EndpointState{Pod: e.Pod, IP: e.IP, Serving: e.Serving, Terminating: true})
		}
		seen[e.IP] = true
	}
	for _, r := range ready {
		if !seen[r.IP] {
			out = append(out, EndpointState{Pod: r.Pod, IP: r.IP, Ready: true, Serving: true})
		}
	}
	return out
}

// Remove drops the endpoints of pods that are gone (pod object deleted
// after its containers exited), which is when the controller removes them.
func Remove(prev []EndpointState, gone func(EndpointState) bool) (out []EndpointState, changed bool) {
	for _, e := range prev {
		if e.Terminating && gone(e) {
			changed = true
			continue
		}
		out = append(out, e)
	}
	return out, changed
}

// ReadyIPs are the addresses kube-proxy should send new connections to.
func ReadyIPs(eps []EndpointState) []string {
	var out []string
	for _, e := range eps {
		if e.Ready {
			out = append(out, e.IP)
		}
	}
	return out
}
