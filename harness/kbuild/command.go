package kbuild

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// runCmd runs name in dir with extra env, output to w. The command gets its
// own process group and cancellation kills the whole group: make's children
// (gcc, ld) must not keep writing into a work dir that is being removed.
func runCmd(ctx context.Context, dir string, env []string, w io.Writer, name string, args ...string) error {
	return runCmdIn(ctx, dir, env, nil, w, name, args...)
}

// runCmdIn is runCmd with stdin.
func runCmdIn(ctx context.Context, dir string, env []string, stdin io.Reader, w io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	cmd.Env = append(cmd.Environ(), env...)
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", name, ctx.Err())
		}
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// tailBuffer keeps the last n lines written to it, for error messages.
type tailBuffer struct {
	n     int
	lines []string
	part  string
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	s := t.part + string(p)
	parts := strings.Split(s, "\n")
	t.part = parts[len(parts)-1]
	for _, l := range parts[:len(parts)-1] {
		t.lines = append(t.lines, l)
		if len(t.lines) > t.n {
			t.lines = t.lines[1:]
		}
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	l := t.lines
	if t.part != "" {
		l = append(l[:len(l):len(l)], t.part)
	}
	return strings.Join(l, "\n")
}
