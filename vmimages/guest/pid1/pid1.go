// Package pid1 holds what every init the harness boots as PID 1 does
// alike (the agent, and the boot benchmark's floor): read the time since
// boot and power the machine off.
package pid1

import (
	"time"

	"golang.org/x/sys/unix"
)

// Uptime is CLOCK_BOOTTIME: the time since the kernel started, the same
// clock both inits report their boot figures on.
func Uptime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// PowerOff syncs and powers off; it never returns. Reboot only returns on
// failure, and PID 1 must not exit (the kernel would panic).
func PowerOff() {
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	for {
		time.Sleep(time.Hour)
	}
}
