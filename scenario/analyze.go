package scenario

import (
	"math"
	"slices"
	"sort"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Summary is a latency distribution in milliseconds.
type Summary struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p99_9_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

// Histogram range: 1 µs to 10 minutes at 3 significant digits, in µs.
const (
	histMinUS = 1
	histMaxUS = int64(10 * time.Minute / time.Microsecond)
	histSig   = 3
)

// Summarize builds an HDR histogram of the durations and reads its
// percentiles. Values are clamped into the histogram's range.
func Summarize(ds []time.Duration) Summary {
	h := hdrhistogram.New(histMinUS, histMaxUS, histSig)
	for _, d := range ds {
		us := d.Microseconds()
		if us < histMinUS {
			us = histMinUS
		}
		if us > histMaxUS {
			us = histMaxUS
		}
		_ = h.RecordValue(us) // in range by construction
	}
	if h.TotalCount() == 0 {
		return Summary{}
	}
	ms := func(us int64) float64 { return round3(float64(us) / 1000) }
	return Summary{
		Count: h.TotalCount(),
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
		Mean:  round3(h.Mean() / 1000),
	}
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// Bucket is one slice of the timeline, by intended start time.
type Bucket struct {
	StartMs       int64 `json:"start_ms"` // offset from T0
	Requests      int   `json:"requests"`
	Errors        int   `json:"errors"`
	Over1s        int   `json:"over_1s"`
	ToTerminating int   `json:"to_terminating"`
}

// Timeline buckets records by intended start, width wide, from t0. Buckets
// with no requests inside the span are kept (zero), so gaps are visible.
// toTerm marks records counted as answered by a terminating pod.
func Timeline(recs []Record, toTerm []bool, t0 int64, width time.Duration) []Bucket {
	if len(recs) == 0 || width <= 0 {
		return nil
	}
	w := int64(width)
	var last int64
	for _, r := range recs {
		if idx := (r.Intended - t0) / w; idx > last {
			last = idx
		}
	}
	out := make([]Bucket, last+1)
	for i := range out {
		out[i].StartMs = int64(i) * w / int64(time.Millisecond)
	}
	for i, r := range recs {
		idx := (r.Intended - t0) / w
		if idx < 0 {
			continue
		}
		b := &out[idx]
		b.Requests++
		if r.Err != ErrNone {
			b.Errors++
		}
		if r.Total > int64(time.Second) {
			b.Over1s++
		}
		if toTerm != nil && toTerm[i] {
			b.ToTerminating++
		}
	}
	return out
}

// errorsToRemoved counts failed handshakes whose client port last carried an
// answer from a pod removed before the request started (see Counts).
func errorsToRemoved(recs []Record, removed map[string]int64) int {
	byStart := slices.Clone(recs)
	sort.SliceStable(byStart, func(i, j int) bool { return byStart[i].Start < byStart[j].Start })
	lastPod := map[int]string{}
	n := 0
	for _, r := range byStart {
		// A port-exhausted connect never left the client: no port to blame.
		if r.LocalPort == 0 || r.Err.ClientLimit() {
			continue
		}
		if r.Err == ErrNone {
			lastPod[r.LocalPort] = r.Pod
			continue
		}
		// Only a handshake that failed: a SYN sent to a pod that is gone
		// or no longer listening. A connection that was accepted and then
		// not answered reached a live pod (a shutdown race, not 81775).
		if r.Phase != "connect" {
			continue
		}
		if t, ok := removed[lastPod[r.LocalPort]]; ok && r.Start >= t {
			n++
		}
	}
	return n
}

// countErrno tallies an `other` failure under its errno name.
func countErrno(c *Counts, name string) {
	if name == "" {
		name = "unknown"
	}
	if c.OtherErrnos == nil {
		c.OtherErrnos = map[string]int{}
	}
	c.OtherErrnos[name]++
}

// TimelineWidth is the bucket width of CellResult.Timeline.
const TimelineWidth = 100 * time.Millisecond

// Analyze computes the request statistics of a cell from its records and
// rollout events. It fills Counts, Total, Connect, Throughput, LoadSeconds,
// PerPod, Timeline and T0 of res; settings and effective state are left as is.
func Analyze(res *CellResult, recs []Record, events []Event) {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Intended < recs[j].Intended })
	removed := map[string]int64{} // pod -> when its endpoint was removed
	firstRemoval := int64(math.MaxInt64)
	for _, e := range events {
		if e.Kind != EvEndpointRemoved {
			continue
		}
		if t, ok := removed[e.Pod]; !ok || e.T < t {
			removed[e.Pod] = e.T
		}
		if e.T < firstRemoval {
			firstRemoval = e.T
		}
	}
	c := Counts{Errors: map[ErrorClass]int{}}
	for _, k := range ErrorClasses {
		c.Errors[k] = 0
	}
	perPod := map[string]int{}
	toTerm := make([]bool, len(recs))
	var totals, connects, lags []time.Duration
	var t0, tEnd int64
	for i, r := range recs {
		if i == 0 || r.Intended < t0 {
			t0 = r.Intended
		}
		if end := r.Intended + r.Total; end > tEnd {
			tEnd = end
		}
		c.Requests++
		totals = append(totals, time.Duration(r.Total))
		lags = append(lags, time.Duration(max(r.Start-r.Intended, 0)))
		if r.Total > int64(time.Second) {
			c.Over1s++
		}
		if r.Connect >= int64(time.Second) {
			c.SlowConnects++
		}
		if r.Err != ErrNone {
			c.Errors[r.Err]++
			if r.Err == ErrOther {
				countErrno(&c, r.Errno)
			}
			// The client's own limit is no loss the rollout caused.
			if r.Start >= firstRemoval && !r.Err.ClientLimit() {
				c.ErrorsAfterRemoval++
			}
			continue
		}
		c.Successes++
		connects = append(connects, time.Duration(r.Connect))
		perPod[r.Pod]++
		// A connection counts as new traffic to a leaving pod only if its
		// first SYN left after the removal was in effect: a SYN sent before
		// and retransmitted after legitimately keeps its old backend.
		if t, ok := removed[r.Pod]; ok && r.Start >= t {
			toTerm[i] = true
			c.ToTerminating++
		}
	}
	c.ErrorsToRemoved = errorsToRemoved(recs, removed)
	res.Counts = c
	res.Total = Summarize(totals)
	res.Connect = Summarize(connects)
	res.Lag = Summarize(lags)
	res.PerPod = perPod
	res.T0 = t0
	res.Timeline = Timeline(recs, toTerm, t0, TimelineWidth)
	if span := float64(tEnd-t0) / float64(time.Second); len(recs) > 0 && span > 0 {
		res.LoadSeconds = round3(span)
		res.Throughput = round3(float64(c.Successes) / span)
	}
}
