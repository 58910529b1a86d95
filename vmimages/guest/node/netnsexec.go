package node

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// onDiscardedThread runs fn on a locked thread that is never reused: the
// goroutine exits still locked, so the runtime discards the thread rather
// than hand it, in whatever namespace fn left it, to other goroutines.
func onDiscardedThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		errc <- fn()
	}()
	return <-errc
}

// inNetns runs fn on a thread switched into the namespace at nsPath, never
// switched back (onDiscardedThread).
func inNetns(nsPath string, fn func() error) error {
	return onDiscardedThread(func() error {
		h, err := netns.GetFromPath(nsPath)
		if err != nil {
			return fmt.Errorf("open netns %s: %w", nsPath, err)
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			return fmt.Errorf("enter netns %s: %w", nsPath, err)
		}
		return fn()
	})
}

// addNamedNetns is `ip netns add name` without exec'ing ip (two execs of
// a dynamically linked binary per pod cost ~0.1 s under TCG): a new
// namespace bind-mounted at /run/netns/name. NewNamed also switches the
// calling thread into it, hence onDiscardedThread.
func addNamedNetns(name string) error {
	return onDiscardedThread(func() error {
		h, err := netns.NewNamed(name)
		if err != nil {
			return fmt.Errorf("create netns %s: %w", name, err)
		}
		h.Close()
		return nil
	})
}

// deleteNamedNetns is `ip netns del name`: detach the bind mount (a file
// that is no longer mounted is removed all the same, as ip does), remove it.
func deleteNamedNetns(name string) error {
	path := filepath.Join("/run/netns", name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("delete netns %s: unmount: %w", name, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("delete netns %s: %w", name, err)
	}
	return nil
}

// StartIn starts cmd inside the network namespace at nsPath: the child is
// forked from a thread that sits in that namespace and so inherits it.
func StartIn(nsPath string, cmd *exec.Cmd) error {
	return inNetns(nsPath, func() error {
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s in %s: %w", cmd.Path, nsPath, err)
		}
		return nil
	})
}

// SysctlIn reads a /proc/sys value as seen from the namespace at nsPath.
func SysctlIn(nsPath, name string) (string, error) {
	var v string
	err := inNetns(nsPath, func() error {
		var err error
		v, err = GetSysctl(name)
		return err
	})
	return v, err
}

// SetSysctlIn writes a /proc/sys value in the namespace at nsPath (net
// sysctls belong to the network namespace of whoever opens the file).
func SetSysctlIn(nsPath, name, value string) error {
	return inNetns(nsPath, func() error { return SetSysctl(name, value) })
}

// ReadSysctlsIn is ReadSysctls as seen from the namespace at nsPath.
func ReadSysctlsIn(nsPath string, dirs []string, names ...string) (map[string]string, error) {
	var out map[string]string
	err := inNetns(nsPath, func() error {
		out = ReadSysctls(dirs, names...)
		return nil
	})
	return out, err
}

// InNetns runs fn on a thread inside the namespace at nsPath; sockets fn
// opens belong to that namespace (see inNetns).
func InNetns(nsPath string, fn func() error) error { return inNetns(nsPath, fn) }
