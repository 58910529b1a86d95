// Command floorinit is the boot benchmark's floor: a PID 1 that only
// reports and powers off. Booted alone in an initramfs, on the same
// kernel and QEMU command line as the agent, it measures what any init
// pays (firmware, kernel to PID 1, a near-empty initramfs); the agent's
// boot is read as a ratio of it.
package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/ctlport"
	"github.com/rolloutlab/rolloutlab/wire"
)

func main() {
	atInit := uptime()
	defer powerOff()
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
		BootToAgent: scenario.Duration(atInit), AgentReady: scenario.Duration(uptime())}
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

func uptime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

func powerOff() {
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	for { // PID 1 must not exit
		time.Sleep(time.Hour)
	}
}
