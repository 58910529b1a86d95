// Command floorinit is the boot benchmark's floor: a PID 1 that only
// reports and powers off. Booted alone in an initramfs, on the same
// kernel and QEMU command line as the agent, it measures what any init
// pays (firmware, kernel to PID 1, a near-empty initramfs); the agent's
// boot is read as a ratio of it.
package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/ctlport"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/pid1"
	"github.com/rolloutlab/rolloutlab/wire"
)

func main() {
	atInit := pid1.Uptime()
	defer pid1.PowerOff()
	// The control port's device node: the initramfs holds no /dev.
	if err := os.MkdirAll("/dev", 0o755); err == nil {
		_ = unix.Mount("devtmpfs", "/dev", "devtmpfs", 0, "")
	}
	f, err := ctlport.Open()
	if err != nil {
		fmt.Fprintf(os.Stderr, "floorinit: %s: %v\n", wire.ControlDevice, err)
		return
	}
	var u unix.Utsname
	_ = unix.Uname(&u)
	facts := wire.Facts{KernelRelease: unix.ByteSliceToString(u.Release[:]),
		BootToAgent: scenario.Duration(atInit), AgentReady: scenario.Duration(pid1.Uptime())}
	for _, m := range []wire.Message{wire.Hello(facts), wire.Done()} {
		line, err := wire.Encode(m)
		if err != nil {
			fmt.Fprintf(os.Stderr, "floorinit: %v\n", err)
			return
		}
		_, _ = f.Write(append(line, '\n'))
	}
	_ = ctlport.Drain(f)
}
