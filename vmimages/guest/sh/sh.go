// Package sh runs the guest's userspace tools (iptables-restore, nft,
// ipset, ipvsadm, ip) by absolute path: busybox sh would shadow some of them.
package sh

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
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

// Dump runs a read-back tool (iptables-save, ipvsadm -Ln, ...) without
// stdin and returns what it printed; a failure is recorded as a final
// "# <error>" line, so the read-back keeps the output and says why.
func Dump(name string, args ...string) string {
	out, err := Run("", name, args...)
	if err != nil {
		out += "\n# " + err.Error()
	}
	return out
}

// RunAll runs Dump for each command (name, then args) at once and returns
// the outputs in order.
func RunAll(cmds [][]string) []string {
	out := make([]string, len(cmds))
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = Dump(c[0], c[1:]...)
		}()
	}
	wg.Wait()
	return out
}
