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
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/mono"
)

// getRequest is what every request sends; the server answers its name.
var getRequest = []byte("GET /\n")

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
	r.LocalPort = localPort(fd)
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
	if _, err := f.Write(getRequest); err != nil {
		return fail("write", err)
	}
	// Up to 256 bytes until the server's FIN (it closes first, as before:
	// the TIME_WAIT stays on its side), into a buffer on the stack.
	var buf [256]byte
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail("read", err)
		}
	}
	pod := strings.TrimSpace(string(buf[:n]))
	if pod == "" {
		return fail("read", io.EOF)
	}
	r.Pod = pod
	r.Total = mono.Now() - intended
	return r
}

// localPort is getsockname's port (0 when unknown), read into a raw
// sockaddr: unix.Getsockname's conversion cost ~3 % of the generator's CPU
// under TCG (profiled).
func localPort(fd int) int {
	var sa unix.RawSockaddrInet4
	n := uint32(unsafe.Sizeof(sa))
	_, _, errno := unix.Syscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&n)))
	if errno != 0 || sa.Family != unix.AF_INET {
		return 0
	}
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	return int(p[0])<<8 | int(p[1])
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
