package qemu

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
)

// listenControl creates the socket QEMU's ttyS1 connects to. It must exist
// before QEMU starts: QEMU connects once, at startup, and the kernel queues
// that connection (and whatever the guest writes) until it is accepted.
func listenControl(path string) (*net.UnixListener, error) {
	// A harness killed mid-run leaves its socket behind; only a socket is
	// ever removed, never a file someone put there.
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on control socket: %w", err)
	}
	return ln, nil // Close unlinks the path
}

// acceptFrom returns the first connection made by process pid and closes
// any other, so only QEMU's bytes reach the control log.
func acceptFrom(ln *net.UnixListener, pid int) (*net.UnixConn, error) {
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			return nil, err
		}
		p, err := peerPID(c)
		if err == nil && p == pid {
			return c, nil
		}
		c.Close()
	}
}

// peerPID is the pid of the process at the other end of c (SO_PEERCRED).
func peerPID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if cerr != nil {
		return 0, fmt.Errorf("SO_PEERCRED: %w", cerr)
	}
	return int(cred.Pid), nil
}

// isTimeout reports an accept that gave up because QEMU never connected.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
