package load

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/mono"
)

// request makes one connection. It drives the socket by hand (nonblocking
// connect + Go's poller through os.File) so that the local port is known
// even when the connect fails, and errno values arrive unwrapped.
func request(sa *unix.SockaddrInet4, timeout time.Duration, seq, intended int64) scenario.Record {
	r := scenario.Record{Seq: seq, Intended: intended, Start: mono.Now()}
	fail := func(phase string, err error) scenario.Record {
		r.Err, r.Phase = scenario.Classify(err), phase
		if r.Err == scenario.ErrOther {
			r.Errno = scenario.ErrnoName(err)
		}
		r.Total = mono.Now() - intended
		return r
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail("socket", err)
	}
	f := os.NewFile(uintptr(fd), "tcp") // owns fd from here on
	defer f.Close()
	connErr := unix.Connect(fd, sa)
	if sn, e := unix.Getsockname(fd); e == nil {
		if in4, ok := sn.(*unix.SockaddrInet4); ok {
			r.LocalPort = in4.Port
		}
	}
	if connErr != nil && !errors.Is(connErr, unix.EINPROGRESS) {
		return fail("connect", connErr)
	}
	if err := f.SetDeadline(time.Now().Add(timeout)); err != nil {
		return fail("connect", err)
	}
	// A connect that returned 0 is established (a local or DNATed-to-local
	// peer often is); only EINPROGRESS needs the poller and SO_ERROR. Under
	// TCG every syscall saved is a slice of the generator's rate.
	if connErr != nil { // EINPROGRESS
		if werr := awaitConnect(f); werr != nil {
			return fail("connect", werr)
		}
	}
	r.Connect = mono.Now() - r.Start
	if _, err := f.Write([]byte("GET /\n")); err != nil {
		return fail("write", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return fail("read", err)
	}
	pod := strings.TrimSpace(string(b))
	if pod == "" {
		return fail("read", io.EOF)
	}
	r.Pod = pod
	r.Total = mono.Now() - intended
	return r
}

// awaitConnect waits for a nonblocking connect that returned EINPROGRESS:
// writability from the poller, then SO_ERROR says how the handshake ended.
func awaitConnect(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	// The first call comes before any wait, and must look: RawConn.Write
	// resets the poller's write readiness first, so a handshake that ended
	// in between would otherwise wait out the whole time-out.
	var connErr error
	werr := rc.Write(func(s uintptr) bool {
		v, err := unix.GetsockoptInt(int(s), unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			connErr = err
			return true
		}
		if v != 0 {
			connErr = syscall.Errno(v)
			return true
		}
		_, err = unix.Getpeername(int(s))
		return err == nil // ENOTCONN: handshake still running, wait for writability
	})
	if werr != nil {
		return werr
	}
	return connErr
}

// sockaddr parses "ip:port".
func sockaddr(target string) (*unix.SockaddrInet4, error) {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", target, err)
	}
	ip := net.ParseIP(host).To4()
	p, err := net.LookupPort("tcp", port)
	if ip == nil || err != nil {
		return nil, fmt.Errorf("target %q: want IPv4:port", target)
	}
	sa := &unix.SockaddrInet4{Port: p}
	copy(sa.Addr[:], ip)
	return sa, nil
}
