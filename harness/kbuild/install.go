package kbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// commandRunner runs argv and returns its combined output; tests replace it
// to record the argv instead of running apt-get.
type commandRunner func(ctx context.Context, argv []string) ([]byte, error)

// toolInstaller gets missing build prerequisites onto the host the way the
// Makefile gets QEMU: installed by apt-get when running as root, otherwise
// an error naming the exact command.
type toolInstaller struct {
	tools      []tool
	host       hostProbe
	canInstall bool // root, with apt-get on PATH
	run        commandRunner
	retryDelay time.Duration // pause before the second apt-get install
	logf       func(format string, args ...any)
}

// newToolInstaller checks this host and installs through the real apt-get.
func newToolInstaller(logf func(format string, args ...any)) toolInstaller {
	_, aptErr := exec.LookPath("apt-get")
	return toolInstaller{
		tools:      buildTools(),
		host:       realHost(),
		canInstall: os.Geteuid() == 0 && aptErr == nil,
		run:        runApt,
		retryDelay: 2 * time.Second,
		logf:       logf,
	}
}

// ensure returns nil once every prerequisite is present, installing the
// missing ones when allowed.
func (ti toolInstaller) ensure(ctx context.Context) error {
	missing := missingTools(ti.tools, ti.host)
	if missing == nil {
		return nil
	}
	if !ti.canInstall {
		return missing
	}
	ti.logf("installing kernel build prerequisites (%s): %s",
		strings.Join(missing.Missing, ", "), strings.Join(aptInstallArgv(missing.Packages), " "))
	if err := ti.aptInstall(ctx, missing.Packages); err != nil {
		return fmt.Errorf("%w; apt-get failed: %w", missing, err)
	}
	if still := missingTools(ti.tools, ti.host); still != nil {
		return fmt.Errorf("still missing after apt-get install: %w", still)
	}
	ti.logf("kernel build prerequisites installed")
	return nil
}

// aptInstall mirrors the Makefile's QEMU install: update and install, and
// if either fails, one more install after a pause (a dpkg lock held by
// unattended-upgrades or a mirror hiccup usually clears by then).
func (ti toolInstaller) aptInstall(ctx context.Context, pkgs []string) error {
	install := aptInstallArgv(pkgs)
	err := ti.runLogged(ctx, []string{"apt-get", "update", "-qq"})
	if err == nil {
		err = ti.runLogged(ctx, install)
	}
	if err == nil {
		return nil
	}
	ti.logf("apt-get: %v; retrying in %s", err, ti.retryDelay)
	select {
	case <-ctx.Done():
		return errors.Join(err, ctx.Err())
	case <-time.After(ti.retryDelay):
	}
	return ti.runLogged(ctx, install)
}

// runLogged runs argv; on failure the error carries the output's last lines.
func (ti toolInstaller) runLogged(ctx context.Context, argv []string) error {
	ti.logf("%s", strings.Join(argv, " "))
	out, err := ti.run(ctx, argv)
	if err == nil {
		return nil
	}
	tail := &tailBuffer{n: 10}
	tail.Write(out)
	if s := strings.TrimSpace(tail.String()); s != "" {
		return fmt.Errorf("%w\n%s", err, s)
	}
	return err
}

// runApt runs apt-get non-interactively (no debconf prompt can hang a
// build); runCmd's error names the argv.
func runApt(ctx context.Context, argv []string) ([]byte, error) {
	var out bytes.Buffer
	err := runCmd(ctx, "", []string{"DEBIAN_FRONTEND=noninteractive"}, &out, argv[0], argv[1:]...)
	return out.Bytes(), err
}
