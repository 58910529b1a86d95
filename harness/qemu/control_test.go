package qemu

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Only QEMU's connection is taken; another process's is closed unread.
func TestAcceptFromChecksThePeer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	ln, err := listenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ln.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := acceptFrom(ln, os.Getpid()+1_000_000); !isTimeout(err) {
		t.Fatalf("foreign peer: want a timeout, got %v", err)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("foreign connection not closed: %v", err)
	}

	c2, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	ln.SetDeadline(time.Now().Add(time.Second))
	got, err := acceptFrom(ln, os.Getpid())
	if err != nil {
		t.Fatalf("own peer: %v", err)
	}
	got.Close()
}
