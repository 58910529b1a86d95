package wire

import (
	"bufio"
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// Lines written from many goroutines at once come out whole: every line
// decodes, and none is lost.
func TestLineWriterWholeLines(t *testing.T) {
	var buf bytes.Buffer
	lw := NewLineWriter(&buf)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := lw.Write(Log(fmt.Sprintf("goroutine %d line %d %s", g, i, bytes.Repeat([]byte("x"), 300)))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	n := 0
	s := bufio.NewScanner(&buf)
	s.Buffer(make([]byte, 1<<16), 1<<20)
	for s.Scan() {
		if _, ok, err := Decode(s.Bytes()); !ok || err != nil {
			t.Fatalf("line %d does not decode (ok %v): %v", n, ok, err)
		}
		n++
	}
	if n != 8*50 {
		t.Errorf("%d lines, want %d", n, 8*50)
	}
}
