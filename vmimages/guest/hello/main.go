// Command hello is the tiny container the engine check runs: a static
// binary that shows it runs isolated (its own PID 1 and hostname).
package main

import (
	"fmt"
	"os"
)

func main() {
	host, _ := os.Hostname()
	fmt.Printf("hello from a rolloutlab container: pid %d, hostname %s, args %q\n", os.Getpid(), host, os.Args[1:])
}
