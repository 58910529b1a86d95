package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/rolloutlab/rolloutlab/wire"
)

// guestEnv is the environment for commands in the guest: PATH covers both
// merged-/usr locations so /sbin tools resolve like on a Debian node.
var guestEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root", "TERM=linux", "LANG=C",
}

func execCommand(ctx context.Context, argv []string) (*wire.ExecResult, error) {
	if len(argv) == 0 {
		return nil, errors.New("exec mode needs a command")
	}
	if len(argv) == 1 {
		argv = []string{"/bin/sh", "-c", argv[0]}
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = guestEnv
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := &wire.ExecResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.ExitCode = 128 + int(ws.Signal())
		}
	default:
		return nil, fmt.Errorf("run %q: %w", argv, err)
	}
	return res, nil
}

// interactiveShell gives the console to a shell with a controlling terminal
// so job control and Ctrl-C work; the guest powers off when it exits.
func interactiveShell() error {
	fmt.Fprintln(os.Stdout, "\nrolloutlab guest shell: try ipvsadm -Ln, conntrack -L, nft list ruleset. exit powers off.")
	// /dev/console cannot be a controlling terminal; the serial port behind it can.
	tty, err := os.OpenFile("/dev/ttyS0", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open console tty: %w", err)
	}
	defer tty.Close()
	cmd := exec.Command("/bin/sh", "-l")
	cmd.Env = append(guestEnv, "PS1=rolloutlab:\\w# ")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	return cmd.Run()
}
