package kindtier

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/evlog"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/mono"
)

// timeline is the cell's one event log, fed by the API watches and the
// dataplane poller from their goroutines, on the records' clock (the client
// Pod shares the guest's kernel and so its CLOCK_MONOTONIC).
type timeline struct {
	mu  sync.Mutex
	log evlog.Log
	api *APITimeline
	// taking: pod IPs the dataplane sends new connections to; servers: IPVS
	// real servers of the Service, weight 0 included.
	taking, servers []string
	logf            Logf
	// the dataplane poller's samples since pollStart
	polls     int
	pollStart time.Time
}

func newTimeline(logf Logf) *timeline { return &timeline{api: NewAPITimeline(), logf: logf} }

func (t *timeline) add(kind scenario.EventKind, pod, ip, detail string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.log.Add(kind, pod, ip, detail)
}

func (t *timeline) addAll(evs []scenario.Event) {
	for _, e := range evs {
		t.log.AddAt(e)
	}
}

func (t *timeline) events() []scenario.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.log.Events()
}

// livePods lists the pods the API reports and that are not deleted.
func (t *timeline) livePods() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.api.Pods()
}

// takingCount is how many pod IPs take new connections.
func (t *timeline) takingCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.taking)
}

// watch streams `kubectl get KIND --watch` into the timeline until ctx ends.
func (t *timeline) watch(ctx context.Context, wg *sync.WaitGroup, resource, selector string, apply func(*APITimeline, string, json.RawMessage, int64) ([]scenario.Event, error)) error {
	cmd := exec.CommandContext(ctx, kubectlBin, "get", resource, "-l", selector, "--watch", "--output-watch-events", "-o", "json")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME=/root")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("watch %s: %w", resource, err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		dec := json.NewDecoder(bufio.NewReader(out))
		for {
			var ev WatchEvent
			if err := dec.Decode(&ev); err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					t.logf("watch %s: %v", resource, err)
				}
				break
			}
			now := mono.Now()
			t.mu.Lock()
			evs, err := apply(t.api, ev.Type, ev.Object, now)
			if err == nil {
				t.addAll(evs)
			}
			t.mu.Unlock()
			if err != nil {
				t.logf("watch %s: %v", resource, err)
			}
		}
		if err := cmd.Wait(); err != nil && ctx.Err() == nil {
			t.logf("watch %s ended: %v: %s", resource, err, stderr.String())
		}
	}()
	return nil
}

// pollDataplane samples what the node's dataplane sends new connections to
// and records the changes: endpoint-added/-removed when kube-proxy's
// programming let a pod IP in or out (the other tiers' meaning), and for
// IPVS also weight-0 and real-server-deleted.
func (t *timeline) pollDataplane(ctx context.Context, wg *sync.WaitGroup, n Node, mode scenario.ProxyMode, vip string) {
	every := 250 * time.Millisecond // a rule dump is an exec in the kube-proxy container
	if mode == scenario.ModeIPVS {
		every = 50 * time.Millisecond // a /proc read
	}
	t.mu.Lock()
	t.pollStart = time.Now()
	t.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		var lastErr string
		for ctx.Err() == nil {
			start := time.Now()
			taking, servers, err := n.Taking(ctx, mode, vip)
			now := mono.Now()
			cost := time.Since(start)
			t.mu.Lock()
			t.polls++
			t.mu.Unlock()
			if err != nil {
				if err.Error() != lastErr && ctx.Err() == nil {
					t.logf("dataplane poll: %v", err)
				}
				lastErr = err.Error()
			} else {
				t.mu.Lock()
				t.diff(now, mode, taking, servers)
				t.mu.Unlock()
			}
			// A sample may take at most a fifth of a vCPU: under TCG a rule
			// dump (nsenter + iptables-save) costs a large part of the
			// 250 ms, and the poller must not starve the load it watches.
			select {
			case <-ctx.Done():
			case <-time.After(max(every, PollBudget*cost)):
			}
		}
	}()
}

// PollBudget: the dataplane poller waits at least this many times a
// sample's own cost before the next one.
const PollBudget = 4

// pollInterval is the dataplane's mean sampling interval so far: the time
// resolution of the dataplane's endpoint events.
func (t *timeline) pollInterval() (time.Duration, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.polls == 0 {
		return 0, 0
	}
	return time.Since(t.pollStart) / time.Duration(t.polls), t.polls
}

// diff records the changes between the last sample and this one; t.mu held.
func (t *timeline) diff(now int64, mode scenario.ProxyMode, taking, servers []string) {
	ev := func(k scenario.EventKind, ip string) {
		t.log.AddAt(scenario.Event{T: now, Kind: k, Pod: t.api.PodByIP(ip), IP: ip, Detail: "dataplane"})
	}
	for _, ip := range taking {
		if !slices.Contains(t.taking, ip) {
			ev(scenario.EvEndpointAdded, ip)
		}
	}
	for _, ip := range t.taking {
		if !slices.Contains(taking, ip) {
			ev(scenario.EvEndpointRemoved, ip)
			if mode == scenario.ModeIPVS && slices.Contains(servers, ip) {
				ev(scenario.EvWeightZero, ip)
			}
		}
	}
	if mode == scenario.ModeIPVS {
		for _, ip := range t.servers {
			if !slices.Contains(servers, ip) {
				ev(scenario.EvRSDeleted, ip)
			}
		}
	}
	t.taking, t.servers = taking, servers
}

// limitedBuffer keeps the first 8 KiB written (a watch's stderr).
type limitedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := 8192 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
