package scenario

import (
	"encoding/json"
	"strconv"
)

// Record is one request as the load generator saw it. Times are nanoseconds
// on the guest's CLOCK_MONOTONIC, the same clock rollout events use.
type Record struct {
	Seq      int64 `json:"n"`
	Intended int64 `json:"i"` // when the schedule wanted it to start
	Start    int64 `json:"s"` // when it actually started
	// Connect is from actual start until the TCP handshake completed (0 when
	// it never did); Total is from the INTENDED start until the answer or the
	// error, so a generator that falls behind still shows the delay.
	Connect int64      `json:"c"`
	Total   int64      `json:"t"`
	Pod     string     `json:"p,omitempty"` // who answered
	Err     ErrorClass `json:"e,omitempty"`
	Phase   string     `json:"ph,omitempty"` // where it failed: connect, write, read
	// Errno names the errno of an `other` failure ("EMFILE"); records
	// written before it existed have none.
	Errno     string `json:"en,omitempty"`
	LocalPort int    `json:"lp,omitempty"`
}

// EventKind names a step of the rollout.
type EventKind string

func (k EventKind) String() string { return string(k) }

// Event kinds of the rollout, in the order a pod goes through them.
const (
	EvPodCreated      EventKind = "pod-created"
	EvServerStarted             = "server-started"
	EvReady                     = "ready"
	EvEndpointAdded             = "endpoint-added"
	EvEndpointRemoved           = "endpoint-removed"
	EvWeightZero                = "weight-0"
	EvSIGTERM                   = "sigterm"
	EvSIGKILL                   = "sigkill"
	EvExit                      = "exit"
	EvNetnsDeleted              = "netns-deleted"
	EvRSDeleted                 = "real-server-deleted"
	EvLoadStart                 = "load-start"
	EvRolloutStart              = "rollout-start"
	EvRolloutDone               = "rollout-done"
	EvLoadStop                  = "load-stop"
	// The kind tier's API view, from watches: a pod got its deletion
	// timestamp, its object was deleted, and its EndpointSlice conditions.
	// (Its endpoint-added/-removed are the node's dataplane, as in the
	// other tiers: when kube-proxy programmed the change.)
	EvTerminating   EventKind = "terminating"
	EvPodDeleted    EventKind = "pod-deleted"
	EvSliceReady    EventKind = "slice-ready"
	EvSliceNotReady EventKind = "slice-not-ready"
	EvSliceRemoved  EventKind = "slice-removed"
)

// Event is one step of the rollout, on the records' clock.
type Event struct {
	T      int64     `json:"t"`
	Kind   EventKind `json:"kind"`
	Pod    string    `json:"pod,omitempty"`
	IP     string    `json:"ip,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Effective is what the node really had, read back after setup.
type Effective struct {
	KernelRelease string            `json:"kernel_release"`
	Sysctls       map[string]string `json:"sysctls"`
	IPVS          string            `json:"ipvs,omitempty"`       // ipvsadm -Ln
	Rules         string            `json:"rules,omitempty"`      // iptables-save or nft list ruleset
	IPSets        string            `json:"ipsets,omitempty"`     // ipset list (ipvs mode)
	IPVSAfter     string            `json:"ipvs_after,omitempty"` // ipvsadm -Ln after the rollout
	// Fidelity (kube-proxy tier): real kube-proxy vs the dataplane tier.
	Fidelity *Fidelity `json:"fidelity,omitempty"`
}

// Counts are the request outcomes.
type Counts struct {
	Requests  int                `json:"requests"`
	Successes int                `json:"successes"`
	Errors    map[ErrorClass]int `json:"errors"`
	// Over1s counts requests (any outcome) whose total time exceeded 1 s:
	// the signature of a dropped SYN retransmitted after 1 s.
	Over1s int `json:"over_1s"`
	// SlowConnects counts TCP handshakes that took 1 s or more: a first SYN
	// dropped and retransmitted (the load generator's own lag cannot cause it).
	SlowConnects int `json:"slow_connects"`
	// ToTerminating counts answers whose connection was set up after the
	// answering pod's endpoint had been removed: new traffic to a pod that
	// is on its way out.
	ToTerminating int `json:"to_terminating"`
	// ErrorsAfterRemoval counts failures that started after the first
	// endpoint removal; with no-route/timeout they are traffic sent to a
	// pod already gone (a failed request cannot name its pod).
	ErrorsAfterRemoval int `json:"errors_after_removal"`
	// ErrorsToRemoved are the failures of ErrorsAfterRemoval that 81775's
	// mechanism explains: the handshake failed, and the last answer on the
	// same client port came from a pod whose endpoint was removed before
	// this request started, so the reused port's IPVS entry still pointed
	// there. Other failures after a
	// removal (a SYN dropped twice, a pod killed with the connection in its
	// accept queue) are losses too, but not traffic sent to a removed pod.
	ErrorsToRemoved int `json:"errors_to_removed"`
	// OtherErrnos breaks the `other` failures down by errno ("EMFILE"),
	// "unknown" for records without one.
	OtherErrnos map[string]int `json:"other_errnos,omitempty"`
}

// CellResult is everything one cell produced except the raw records, which
// travel as a separate file.
type CellResult struct {
	Cell      Cell              `json:"cell"`
	ConnReuse ConnReuseDecision `json:"conn_reuse"`
	Effective Effective         `json:"effective"`
	Counts    Counts            `json:"counts"`
	Total     Summary           `json:"total"`   // intended start -> answer
	Connect   Summary           `json:"connect"` // TCP handshake, successes only
	// Lag is how late requests started against the open-loop schedule. A
	// large lag means the guest could not generate the load (a busy host
	// under TCG), and latencies then say nothing about the kernel.
	Lag Summary `json:"lag"`
	// Throughput is successful answers per second over the load's span.
	Throughput  float64        `json:"throughput"`
	LoadSeconds float64        `json:"load_seconds"`
	PerPod      map[string]int `json:"per_pod"`
	Timeline    []Bucket       `json:"timeline"`
	// T0 is the clock value timeline offsets and event offsets count from.
	T0     int64   `json:"t0"`
	Events []Event `json:"events"`
	// FirstAttempt is set when this is the cell's second attempt in the
	// boot: the first fell behind its schedule (see RetryStarved).
	FirstAttempt *Attempt `json:"first_attempt,omitempty"`
}

// AppendJSON appends r as encoding/json would marshal it (same fields, order
// and omissions), without reflection: the load generator writes one record
// per request, and under TCG every microsecond is a slice of its rate.
func (r Record) AppendJSON(b []byte) []byte {
	b = append(b, `{"n":`...)
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, `,"i":`...)
	b = strconv.AppendInt(b, r.Intended, 10)
	b = append(b, `,"s":`...)
	b = strconv.AppendInt(b, r.Start, 10)
	b = append(b, `,"c":`...)
	b = strconv.AppendInt(b, r.Connect, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, r.Total, 10)
	for _, f := range [...]struct{ key, v string }{{"p", r.Pod}, {"e", string(r.Err)}, {"ph", r.Phase}, {"en", r.Errno}} {
		if f.v != "" {
			b = append(b, `,"`...)
			b = append(b, f.key...)
			b = append(b, `":`...)
			b = appendJSONString(b, f.v)
		}
	}
	if r.LocalPort != 0 {
		b = append(b, `,"lp":`...)
		b = strconv.AppendInt(b, int64(r.LocalPort), 10)
	}
	return append(b, '}')
}

// appendJSONString quotes s as encoding/json does: printable ASCII other
// than its escaped set goes as is, anything else through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
