// Package evlog collects rollout events from concurrent goroutines, stamped
// with the guest's monotonic clock.
package evlog

import (
	"sort"
	"sync"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/mono"
)

// Log is safe for concurrent use. The zero value is ready.
type Log struct {
	mu     sync.Mutex
	events []scenario.Event
}

// Add records an event now.
func (l *Log) Add(kind scenario.EventKind, pod, ip, detail string) {
	e := scenario.Event{T: mono.Now(), Kind: kind, Pod: pod, IP: ip, Detail: detail}
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

// AddAt records an event stamped by the caller (when it was observed).
func (l *Log) AddAt(e scenario.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

// Events returns a time-ordered copy.
func (l *Log) Events() []scenario.Event {
	l.mu.Lock()
	out := append([]scenario.Event(nil), l.events...)
	l.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].T < out[j].T })
	return out
}
