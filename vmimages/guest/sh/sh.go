// Package sh runs the guest's userspace tools (iptables-restore, nft,
// ipset, ipvsadm, ip) by absolute path: busybox sh would shadow some of them.
package sh

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

var dirs = []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"}

// Path finds a tool in the sbin/bin directories, not via $PATH.
func Path(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, d := range dirs {
		p := d + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in %v", name, dirs)
}

// Run runs name with args, feeding stdin (if not empty), and returns stdout.
// The error carries stderr, which is where these tools explain themselves.
func Run(stdin, name string, args ...string) (string, error) {
	p, err := Path(name)
	if err != nil {
		return "", err
	}
	cmd := exec.Command(p, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}
