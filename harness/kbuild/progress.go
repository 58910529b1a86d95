package kbuild

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress prints phase lines with the time elapsed since the build started.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer, start time.Time) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, start: start}
}

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%7.1fs] kbuild: %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

// makeWatcher counts kbuild's "  CC"/"  LD"/... lines from make and reports
// the count at most every interval, so a 10-minute compile shows it is alive
// without copying thousands of lines to the progress writer.
type makeWatcher struct {
	p        *progress
	interval time.Duration
	last     time.Time
	objects  int
	lastLine string
	part     string
}

func (m *makeWatcher) Write(b []byte) (int, error) {
	s := m.part + string(b)
	lines := strings.Split(s, "\n")
	m.part = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		if strings.HasPrefix(l, "  CC ") || strings.HasPrefix(l, "  AS ") {
			m.objects++
			m.lastLine = strings.TrimSpace(l)
		}
	}
	if time.Since(m.last) >= m.interval && m.objects > 0 {
		m.last = time.Now()
		m.p.printf("compiling: %d objects so far (%s)", m.objects, m.lastLine)
	}
	return len(b), nil
}
