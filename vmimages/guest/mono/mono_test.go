package mono

import (
	"testing"

	"golang.org/x/sys/unix"
)

// Now must read the very clock another process reads with clock_gettime
// (CLOCK_MONOTONIC, no offset): records and events from different
// processes are compared on it.
func TestNowIsClockMonotonic(t *testing.T) {
	for i := 0; i < 5; i++ {
		var a, b unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &a); err != nil {
			t.Fatal(err)
		}
		n := Now()
		if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &b); err != nil {
			t.Fatal(err)
		}
		if n < a.Nano() || n > b.Nano() {
			t.Fatalf("Now() = %d, not between two CLOCK_MONOTONIC readings %d and %d", n, a.Nano(), b.Nano())
		}
	}
}
