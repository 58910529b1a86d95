package verdict

import (
	"fmt"
	"math"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// MaxLagP99Ms is scenario's starvation bound, the one the guest retries by.
const MaxLagP99Ms = scenario.MaxLagP99Ms

// A symptom is material when it hits at least MinSymptomCount requests and
// MinSymptomShare of them. The bugs this tool looks for are systematic
// (domain.md: 9-50 % of connections on an affected kernel); a lone 1 s
// connect or a lone request to a leaving pod also happens on fixed kernels
// (a pod killed with a connection in its accept queue leaves a conntrack
// entry closed by RST, and the next SYN on that port is dropped once), so
// it is reported in the reasons but does not make a cell affected.
const (
	MinSymptomCount = 5
	MinSymptomShare = 0.005
)

// Material reports whether n of requests is a symptom rather than an isolated event.
func Material(n, requests int) bool {
	return n >= MinSymptomCount && float64(n) >= MinSymptomShare*float64(requests)
}

func materialText(requests int) string {
	return fmt.Sprintf("%d-request (%.1f %%)", max(MinSymptomCount, int(math.Ceil(MinSymptomShare*float64(requests)))), MinSymptomShare*100)
}

// Starved reports a cell whose open-loop load fell behind its schedule
// (scenario.Starved: the same rule the guest retries by).
func Starved(r *scenario.CellResult) bool { return scenario.Starved(r) }

// Verdict is the judgement of one cell with the numbers behind it.
type Verdict struct {
	Status   Status    `json:"status"`
	Symptoms []Symptom `json:"symptoms,omitempty"`
	Reasons  []string  `json:"reasons,omitempty"`
}

// Judge states what a correct kernel must do, as counts that must be zero:
// no answer from a pod whose endpoint was already removed, no failure after
// a removal, and no TCP handshake delayed by a second or more.
func Judge(r *scenario.CellResult) Verdict {
	if r == nil || r.Counts.Requests == 0 {
		return Verdict{Status: Error, Reasons: []string{"no requests were made"}}
	}
	var v Verdict
	c := r.Counts
	if Starved(r) {
		// The harness failed to make the load, not the kernel: no verdict.
		return Verdict{Status: Error, Reasons: []string{starvedReason(r)}}
	}
	if r.FirstAttempt != nil {
		v.Reasons = append(v.Reasons, secondAttemptReason(r.FirstAttempt))
	}
	if n := c.Errors[scenario.ErrPortExhausted]; n > 0 {
		v.Reasons = append(v.Reasons, portExhaustedReason(r, n))
	}
	stale := c.ToTerminating + c.ErrorsToRemoved
	switch {
	case Material(stale, c.Requests):
		v.Symptoms = append(v.Symptoms, StaleBackend)
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d of %d requests answered by a pod whose endpoint was removed; %d handshakes failed on a client port whose last answer came from a removed pod (%d failed after a removal in all: %s)",
			c.ToTerminating, c.Requests, c.ErrorsToRemoved, c.ErrorsAfterRemoval, errorSummary(c)))
	case stale > 0:
		v.Reasons = append(v.Reasons, fmt.Sprintf("isolated, below the %s threshold: %d request(s) to a removed pod (%d answered, %d failed handshakes)",
			materialText(c.Requests), stale, c.ToTerminating, c.ErrorsToRemoved))
	}
	if c.ErrorsAfterRemoval > c.ErrorsToRemoved {
		// A loss, reported, but not 81775: nothing ties it to a removed pod.
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d of %d requests failed after a removal without a removed pod behind them (%s)",
			c.ErrorsAfterRemoval-c.ErrorsToRemoved, c.Requests, errorSummary(c)))
	}
	switch {
	case Material(c.SlowConnects, c.Requests) || r.Connect.P99 >= 1000:
		v.Symptoms = append(v.Symptoms, SYNDrop)
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d of %d connects took >= 1 s; connect p99 %.0f ms", c.SlowConnects, c.Requests, r.Connect.P99))
	case c.SlowConnects > 0:
		v.Reasons = append(v.Reasons, fmt.Sprintf("isolated, below the %s threshold: %d connect(s) took >= 1 s", materialText(c.Requests), c.SlowConnects))
	}
	v.Status = Clean
	if len(v.Symptoms) > 0 {
		v.Status = Affected
	}
	return v
}

func errorSummary(c scenario.Counts) string {
	s := ""
	for _, cl := range scenario.ErrorClasses {
		// The client's own limit is reported apart, never as a loss.
		if n := c.Errors[cl]; n > 0 && !cl.ClientLimit() {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%s %d", cl, n)
			if cl == scenario.ErrOther && len(c.OtherErrnos) > 0 {
				s += " (" + errnoSummary(c.OtherErrnos) + ")"
			}
		}
	}
	if s == "" {
		return "no errors"
	}
	return s
}
