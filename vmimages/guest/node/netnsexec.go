package node

import (
	"fmt"
	"os/exec"
	"runtime"

	"github.com/vishvananda/netns"
)

// inNetns runs fn on a thread switched into the namespace at nsPath. The
// thread is never switched back: the goroutine exits still locked, so the
// runtime discards the thread instead of reusing it in the wrong namespace.
func inNetns(nsPath string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := netns.GetFromPath(nsPath)
		if err != nil {
			errc <- fmt.Errorf("open netns %s: %w", nsPath, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- fmt.Errorf("enter netns %s: %w", nsPath, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
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
