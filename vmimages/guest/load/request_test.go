package load

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/mono"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/server"
)

// One request on loopback (the host's own, nothing leaves it): answered by
// the server with its name, and refused once nothing listens, with the
// local port known both times.
func TestRequestLoopback(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- server.Serve(ln, "pod-a", time.Second) }()
	sa, err := sockaddr(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 20; i++ {
		r := request(sa, 3*time.Second, i, mono.Now())
		if r.Err != "" || r.Pod != "pod-a" || r.LocalPort == 0 || r.Connect <= 0 || r.Total < r.Connect {
			t.Fatalf("request %d: %+v, want answered by pod-a with a local port and connect <= total", i, r)
		}
	}
	ln.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r := request(sa, 3*time.Second, 99, mono.Now())
	if r.Err != scenario.ErrRefused || r.Phase != "connect" || r.LocalPort == 0 || r.Pod != "" {
		t.Errorf("to a closed port: %+v, want refused in connect with a local port", r)
	}
}

// localPort reads the port the kernel bound, as getsockname reports it.
func TestLocalPortIsTheBoundPort(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 0, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sn, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	want := sn.(*unix.SockaddrInet4).Port
	if got := localPort(fd); got != want || got == 0 {
		t.Errorf("localPort = %d, getsockname says %d", got, want)
	}
	if got := localPort(-1); got != 0 {
		t.Errorf("localPort of a bad fd = %d, want 0", got)
	}
}
