package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
)

// Mkfs is one mkfs.ext4 run: a filesystem of SizeBytes in File, filled
// from Dir when set. mkfs.ext4 -d copies a directory into the new
// filesystem without mounting anything, so no root is needed to build it.
type Mkfs struct {
	File      string
	Dir       string // "" for an empty filesystem
	Label     string
	SizeBytes int64
}

// Args is the mkfs.ext4 argument vector. No journal (a read-only root
// needs none, and a scratch disk is thrown away after its boot), no
// reserved blocks, root-owned top directory whoever builds it.
func (m Mkfs) Args() ([]string, error) {
	if m.File == "" || m.SizeBytes <= 0 {
		return nil, fmt.Errorf("mkfs: need a file and a positive size (got %q, %d)", m.File, m.SizeBytes)
	}
	if len(m.Label) > 16 {
		return nil, fmt.Errorf("mkfs: label %q longer than ext4's 16 bytes", m.Label)
	}
	a := []string{"-q", "-F", "-t", "ext4", "-O", "^has_journal", "-m", "0", "-E", "root_owner=0:0"}
	if m.Label != "" {
		a = append(a, "-L", m.Label)
	}
	if m.Dir != "" {
		a = append(a, "-d", m.Dir)
	}
	// Size in KiB: mke2fs's plain number is blocks, a "k" suffix is exact.
	return append(a, m.File, strconv.FormatInt((m.SizeBytes+1023)/1024, 10)+"k"), nil
}

// mkfsPaths are where e2fsprogs puts mkfs.ext4; sbin is often not in a
// user's PATH.
var mkfsPaths = []string{"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"}

// MkfsTool finds mkfs.ext4. As root with apt it installs e2fsprogs (as
// the Makefile does QEMU); otherwise the error says what to run.
func MkfsTool(ctx context.Context, progress io.Writer) (string, error) {
	if p, err := lookMkfs(); err == nil {
		return p, nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		return "", errors.New("mkfs.ext4 is missing: run  sudo apt-get install -y --no-install-recommends e2fsprogs")
	}
	logf(progress, "==> installing e2fsprogs (mkfs.ext4)\n")
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "--no-install-recommends", "e2fsprogs"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get %v: %w\n%s", args, err, out)
		}
	}
	return lookMkfs()
}

func lookMkfs() (string, error) {
	if p, err := exec.LookPath("mkfs.ext4"); err == nil {
		return p, nil
	}
	for _, p := range mkfsPaths {
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("mkfs.ext4 not found")
}

// runMkfs creates m.File as a sparse file of m.SizeBytes and makes the
// filesystem in it. On failure the file is removed.
func runMkfs(ctx context.Context, tool string, m Mkfs) error {
	args, err := m.Args()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(m.File, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("mkfs: %w", err)
	}
	// Truncate, not write: the file is sparse, mkfs touches only metadata.
	err = f.Truncate(m.SizeBytes)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, tool, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if rerr := cmd.Run(); rerr != nil {
			err = fmt.Errorf("%s %v: %w\n%s", tool, args, rerr, bytes.TrimSpace(out.Bytes()))
		}
	}
	if err != nil {
		os.Remove(m.File)
		return err
	}
	return nil
}
