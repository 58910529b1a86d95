package kindtier

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// WatchEvent is one line of `kubectl get --watch --output-watch-events -o json`.
type WatchEvent struct {
	Type   string          `json:"type"` // ADDED, MODIFIED, DELETED
	Object json.RawMessage `json:"object"`
}

// PodObject is the part of a Pod the timeline needs.
type PodObject struct {
	Metadata struct {
		Name              string  `json:"name"`
		DeletionTimestamp *string `json:"deletionTimestamp"`
	} `json:"metadata"`
	Status struct {
		Phase      string `json:"phase"`
		PodIP      string `json:"podIP"`
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions"`
		ContainerStatuses []struct {
			State struct {
				Running    *struct{} `json:"running"`
				Terminated *struct {
					ExitCode int    `json:"exitCode"`
					Reason   string `json:"reason"`
				} `json:"terminated"`
			} `json:"state"`
		} `json:"containerStatuses"`
	} `json:"status"`
}

// SliceObject is the part of an EndpointSlice the timeline needs.
type SliceObject struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Endpoints []struct {
		Addresses  []string `json:"addresses"`
		Conditions struct {
			Ready       *bool `json:"ready"`
			Serving     *bool `json:"serving"`
			Terminating *bool `json:"terminating"`
		} `json:"conditions"`
		TargetRef *struct {
			Name string `json:"name"`
		} `json:"targetRef"`
	} `json:"endpoints"`
}

type podState struct {
	ip                               string
	ready, started, terminating, got bool
	exited                           bool
}

type sliceEndpoint struct {
	ip                   string
	ready, serving, term bool
}

// APITimeline turns the API's watch events into rollout events: what the
// API server said happened to the pods and to their EndpointSlice
// conditions, stamped when the guest received it. It is not safe for
// concurrent use.
type APITimeline struct {
	pods   map[string]*podState
	slices map[string]map[string]sliceEndpoint // slice -> pod -> endpoint
	merged map[string]sliceEndpoint            // pod -> endpoint over all slices
}

// NewAPITimeline starts with no pods and no endpoints.
func NewAPITimeline() *APITimeline {
	return &APITimeline{pods: map[string]*podState{}, slices: map[string]map[string]sliceEndpoint{}, merged: map[string]sliceEndpoint{}}
}

// PodIP is the last address the API gave pod, "" if none yet.
func (a *APITimeline) PodIP(pod string) string {
	if p := a.pods[pod]; p != nil {
		return p.ip
	}
	return ""
}

// PodByIP names the pod that has ip, "" if none.
func (a *APITimeline) PodByIP(ip string) string {
	for name, p := range a.pods {
		if p.ip == ip {
			return name
		}
	}
	return ""
}

// Pods lists the pods seen and not yet deleted.
func (a *APITimeline) Pods() []string {
	var out []string
	for name := range a.pods {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Pod applies one pod watch event at time t.
func (a *APITimeline) Pod(typ string, raw json.RawMessage, t int64) ([]scenario.Event, error) {
	var o PodObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("pod watch event: %w", err)
	}
	name := o.Metadata.Name
	p := a.pods[name]
	var out []scenario.Event
	add := func(k scenario.EventKind, detail string) {
		out = append(out, scenario.Event{T: t, Kind: k, Pod: name, IP: p.ip, Detail: detail})
	}
	if p == nil {
		p = &podState{}
		a.pods[name] = p
	}
	if o.Status.PodIP != "" {
		p.ip = o.Status.PodIP
	}
	if !p.got {
		p.got = true
		add(scenario.EvPodCreated, "")
	}
	if typ == "DELETED" {
		add(scenario.EvPodDeleted, "")
		delete(a.pods, name)
		return out, nil
	}
	for _, cs := range o.Status.ContainerStatuses {
		if cs.State.Running != nil && !p.started {
			p.started = true
			add(scenario.EvServerStarted, "")
		}
		if tm := cs.State.Terminated; tm != nil && !p.exited {
			p.exited = true
			add(scenario.EvExit, fmt.Sprintf("exit code %d (%s)", tm.ExitCode, tm.Reason))
		}
	}
	ready := false
	for _, c := range o.Status.Conditions {
		if c.Type == "Ready" {
			ready = c.Status == "True"
		}
	}
	if ready && !p.ready {
		add(scenario.EvReady, "")
	}
	p.ready = ready
	if o.Metadata.DeletionTimestamp != nil && !p.terminating {
		p.terminating = true
		add(scenario.EvTerminating, "deletionTimestamp "+*o.Metadata.DeletionTimestamp)
	}
	return out, nil
}

// Slice applies one EndpointSlice watch event at time t.
func (a *APITimeline) Slice(typ string, raw json.RawMessage, t int64) ([]scenario.Event, error) {
	var o SliceObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("endpointslice watch event: %w", err)
	}
	cur := map[string]sliceEndpoint{}
	if typ != "DELETED" {
		for _, e := range o.Endpoints {
			if e.TargetRef == nil || len(e.Addresses) == 0 {
				continue
			}
			// a nil condition means true for ready and serving (API docs)
			cur[e.TargetRef.Name] = sliceEndpoint{ip: e.Addresses[0],
				ready:   e.Conditions.Ready == nil || *e.Conditions.Ready,
				serving: e.Conditions.Serving == nil || *e.Conditions.Serving,
				term:    e.Conditions.Terminating != nil && *e.Conditions.Terminating}
		}
	}
	if len(cur) == 0 {
		delete(a.slices, o.Metadata.Name)
	} else {
		a.slices[o.Metadata.Name] = cur
	}
	merged := map[string]sliceEndpoint{}
	for _, s := range a.slices {
		for pod, e := range s {
			merged[pod] = e
		}
	}
	var out []scenario.Event
	var names []string
	for pod := range merged {
		names = append(names, pod)
	}
	for pod := range a.merged {
		if _, ok := merged[pod]; !ok {
			names = append(names, pod)
		}
	}
	sort.Strings(names)
	for _, pod := range names {
		was, had := a.merged[pod]
		now, has := merged[pod]
		switch {
		case !has:
			out = append(out, scenario.Event{T: t, Kind: scenario.EvSliceRemoved, Pod: pod, IP: was.ip})
		case now.ready && (!had || !was.ready):
			out = append(out, scenario.Event{T: t, Kind: scenario.EvSliceReady, Pod: pod, IP: now.ip})
		case !now.ready && (!had || was.ready || was.term != now.term):
			out = append(out, scenario.Event{T: t, Kind: scenario.EvSliceNotReady, Pod: pod, IP: now.ip,
				Detail: fmt.Sprintf("serving=%t terminating=%t", now.serving, now.term)})
		}
	}
	a.merged = merged
	return out, nil
}
