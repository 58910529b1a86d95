// Command agent is the guest's PID 1. The same binary also provides the
// helper subcommands the scenario runs inside pod network namespaces
// (`agent serve`, `agent load`), so the image carries one Go binary.
package main

import (
	"fmt"
	"os"
)

func main() {
	// PID 1 with a subcommand is a container's entrypoint (the kind tier's
	// app image runs `/rolloutlab serve ...` as its pod's first process);
	// the kernel starts the guest's init without one.
	_, isSub := subcommands()[arg1()]
	if os.Getpid() == 1 && !isSub {
		runInit() // never returns: powers the guest off
		return
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: agent <subcommand> [args] (as PID 1 it boots the guest)")
		os.Exit(2)
	}
	cmd, ok := subcommands()[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "agent: unknown subcommand %q\n", os.Args[1])
		os.Exit(2)
	}
	os.Exit(cmd(os.Args[2:]))
}

func arg1() string {
	if len(os.Args) < 2 {
		return ""
	}
	return os.Args[1]
}
