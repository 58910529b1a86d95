package wire

import (
	"io"
	"sync"
)

// LineWriter frames messages onto w, one line each, whole lines only even
// when goroutines write at once: the agent's control port, and a cell
// worker's stdout that the agent relays.
type LineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewLineWriter writes framed lines to w.
func NewLineWriter(w io.Writer) *LineWriter { return &LineWriter{w: w} }

// Write encodes m and writes it as one line.
func (l *LineWriter) Write(m Message) error {
	line, err := Encode(m)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err = l.w.Write(append(line, '\n'))
	return err
}

// Locked runs fn with no line being written (the agent drains its port).
func (l *LineWriter) Locked(fn func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn()
}
