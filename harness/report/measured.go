package report

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
)

// hostSpan collects when and on what a row's runs were measured.
type hostSpan struct {
	first, last string // dates, YYYY-MM-DD
	cores       map[int]bool
	maxLoad     float64 // highest 1-minute load seen at a run's start or end
	hasLoad     bool
}

func (h *hostSpan) add(f *resultfile.File) {
	if f == nil {
		return
	}
	if !f.StartedAt.IsZero() {
		d := f.StartedAt.UTC().Format("2006-01-02")
		if h.first == "" || d < h.first {
			h.first = d
		}
		if d > h.last {
			h.last = d
		}
	}
	if f.Host.CPUs > 0 {
		if h.cores == nil {
			h.cores = map[int]bool{}
		}
		h.cores[f.Host.CPUs] = true
	}
	if l := f.Host.Load; l != nil && l.Error == "" {
		h.hasLoad = true
		h.maxLoad = max(h.maxLoad, l.LoadavgStart[0], l.LoadavgEnd[0])
	}
}

// String is e.g. "2026-12-01 · tcg · 2 cores · load <= 1.3".
func (h *hostSpan) String(accel string) string {
	var parts []string
	switch {
	case h.first == "":
	case h.first == h.last:
		parts = append(parts, h.first)
	default:
		parts = append(parts, h.first+" to "+h.last)
	}
	if accel != "" {
		parts = append(parts, accel)
	}
	if len(h.cores) > 0 {
		var cs []string
		for _, c := range slices.Sorted(maps.Keys(h.cores)) {
			cs = append(cs, strconv.Itoa(c))
		}
		parts = append(parts, strings.Join(cs, "/")+" cores")
	}
	if h.hasLoad {
		parts = append(parts, fmt.Sprintf("load <= %.1f", h.maxLoad))
	}
	return strings.Join(parts, " · ")
}
