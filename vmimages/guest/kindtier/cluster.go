package kindtier

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/mono"
	"github.com/rolloutlab/rolloutlab/wire"
)

// Where the kind tier puts its tools and kubeconfig in the disk root.
const (
	binDir     = "/usr/local/bin"
	kindBin    = binDir + "/kind"
	kubectlBin = binDir + "/kubectl"
	kubeconfig = "/root/.kube/kind-rolloutlab"
	nodeName   = wire.KindClusterName + "-control-plane"
)

// Logf is where progress goes (the control channel, shown on the host).
type Logf func(format string, args ...any)

// command runs name with args under ctx and returns its combined output;
// the error names the command and carries the output's tail.
func command(ctx context.Context, env []string, stdin []byte, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "KUBECONFIG="+kubeconfig, "HOME=/root")
	cmd.Env = append(cmd.Env, env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(short(args), " "), err, tail(string(out), 1500))
	}
	return string(out), nil
}

// short keeps a long argument (a JSON config) from swamping an error.
func short(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if len(a) > 80 {
			a = a[:77] + "..."
		}
		out[i] = a
	}
	return out
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Images makes the seeded tools and images available once per boot: kind
// and kubectl in /usr/local/bin, the node and app images in dockerd.
type Images struct {
	Spec wire.KindSpec
	Logf Logf
	once sync.Once
	err  error
	// LoadTime is how long docker load of both archives took.
	LoadTime time.Duration
}

// Ensure installs and loads on the first call and returns the same error
// (or nil) on every later one.
func (im *Images) Ensure(ctx context.Context) error {
	im.once.Do(func() { im.err = im.load(ctx) })
	return im.err
}

func (im *Images) load(ctx context.Context) error {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	for _, b := range []struct{ seed, dst string }{
		{wire.SeedKind, binDir + "/kind-stock"}, {wire.SeedKindPatched, binDir + "/kind-patched"}, {wire.SeedKubectl, kubectlBin},
	} {
		if err := install(wire.SeedPath(b.seed), b.dst); err != nil {
			if b.seed == wire.SeedKindPatched && os.IsNotExist(err) && im.Spec.Policy == wire.KindPolicyStock {
				continue
			}
			return fmt.Errorf("install %s: %w", b.seed, err)
		}
	}
	start := time.Now()
	for _, a := range []string{wire.SeedKindNodeImage, wire.SeedKindAppImage} {
		t := time.Now()
		// docker load prints nothing until it is done (minutes under TCG)
		stop := ticker(30*time.Second, func(d time.Duration) { im.Logf("kind: docker load %s: still loading (%s)", a, d.Round(time.Second)) })
		_, err := command(ctx, nil, nil, "docker", "load", "-i", wire.SeedPath(a))
		stop()
		if err != nil {
			return err
		}
		im.Logf("kind: docker load %s took %s", a, time.Since(t).Round(100*time.Millisecond))
	}
	im.LoadTime = time.Since(start)
	return nil
}

func install(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

// Cluster is one kind cluster, created for one cell.
type Cluster struct {
	Mode scenario.ProxyMode
	// Kind is the kind binary that created it ("kind-stock"/"kind-patched")
	// and Version what it printed; Deviation says why it is not stock kind.
	Kind, Version, Deviation string
	CreateTime               time.Duration
	// NodePID is the node container's init, for its network namespace.
	NodePID int
	// Output is kind's own output, with the seconds since kind started.
	Output string
	logf   Logf
}

// Create runs kind create cluster for mode with the seeded config. With the
// auto policy a node that missed stock kind's 30 s wait for systemd is
// deleted and created again with the patched kind, and that is recorded.
func Create(ctx context.Context, spec wire.KindSpec, mode scenario.ProxyMode, logf Logf) (*Cluster, error) {
	c := &Cluster{Mode: mode, logf: logf, Kind: "kind-stock"}
	if spec.Policy == wire.KindPolicyPatched {
		c.Kind = "kind-patched"
		c.Deviation = "kind-v0.33.0-rolloutlab1 (KIND_SYSTEMD_WAIT instead of kind's 30 s wait for the node's systemd), asked for"
	}
	_ = deleteCluster(ctx) // leftovers of an earlier attempt in this boot
	out, err := c.create(ctx, spec)
	if err != nil && spec.Policy == wire.KindPolicyAuto && strings.Contains(out, `could not find a log line that matches "Reached target`) {
		logf("kind: the node's systemd missed stock kind's 30 s wait; retrying with the patched kind")
		_ = deleteCluster(ctx)
		c.Kind = "kind-patched"
		c.Deviation = "kind-v0.33.0-rolloutlab1 (KIND_SYSTEMD_WAIT): the node's systemd missed stock kind's 30 s wait"
		out, err = c.create(ctx, spec)
	}
	if err != nil {
		return c, err
	}
	pid, err := command(ctx, nil, nil, "docker", "inspect", "-f", "{{.State.Pid}}", nodeName)
	if err != nil {
		return c, err
	}
	if c.NodePID, err = strconv.Atoi(strings.TrimSpace(pid)); err != nil || c.NodePID <= 0 {
		return c, fmt.Errorf("node %s pid %q", nodeName, pid)
	}
	return c, nil
}

func (c *Cluster) create(ctx context.Context, spec wire.KindSpec) (string, error) {
	if err := os.Remove(kindBin); err != nil && !os.IsNotExist(err) {
		return "", err
	}
	if err := os.Symlink(binDir+"/"+c.Kind, kindBin); err != nil {
		return "", err
	}
	v, _ := command(ctx, nil, nil, kindBin, "version")
	c.Version = strings.TrimSpace(v)
	if err := os.MkdirAll(wire.KindSharedDir, 0o777); err != nil {
		return "", err
	}
	env := []string{"KIND_SYSTEMD_WAIT=" + spec.SystemdWait.D().String()}
	args := []string{"create", "cluster", "--name", wire.KindClusterName, "--image", spec.NodeImage,
		"--config", wire.SeedPath(wire.KindConfigSeed(c.Mode)), "--kubeconfig", kubeconfig,
		"--retain", "--wait", spec.Wait.D().String()}
	cmd := exec.CommandContext(ctx, kindBin, args...)
	cmd.Env = append(os.Environ(), "PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root")
	cmd.Env = append(cmd.Env, env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	start := time.Now()
	var out strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintf(&out, "%7.1fs %s\n", time.Since(start).Seconds(), sc.Text())
			c.logf("kind: %s (%s)", strings.TrimSpace(sc.Text()), time.Since(start).Round(time.Second))
		}
	}()
	// kind prints a phase's line when the phase ends: say it is alive
	stop := ticker(time.Minute, func(d time.Duration) { c.logf("kind: create cluster still running (%s)", d.Round(time.Second)) })
	err := cmd.Run()
	stop()
	pw.Close()
	<-done
	c.CreateTime = time.Since(start)
	c.Output += out.String()
	if err != nil {
		return out.String(), fmt.Errorf("kind create cluster (%s, mode %s) after %s: %w", c.Kind, c.Mode, c.CreateTime.Round(time.Second), err)
	}
	c.logf("kind: cluster up in %s (%s)", c.CreateTime.Round(time.Second), c.Kind)
	return out.String(), nil
}

// Delete removes the cluster; kept clusters are left alone by the caller.
func (c *Cluster) Delete(ctx context.Context) error {
	start := time.Now()
	err := deleteCluster(ctx)
	c.logf("kind: cluster deleted in %s", time.Since(start).Round(100*time.Millisecond))
	return err
}

func deleteCluster(ctx context.Context) error {
	if _, err := os.Stat(kindBin); err != nil {
		return nil
	}
	_, err := command(ctx, nil, nil, kindBin, "delete", "cluster", "--name", wire.KindClusterName, "--kubeconfig", kubeconfig)
	return err
}

// LoadApp imports the app image into the node's containerd (kind load:
// no registry, imagePullPolicy Never).
func (c *Cluster) LoadApp(ctx context.Context, image string) error {
	_, err := command(ctx, nil, nil, kindBin, "load", "docker-image", image, "--name", wire.KindClusterName)
	return err
}

// NetNS is the node's network namespace, where kube-proxy programs.
func (c *Cluster) NetNS() string { return fmt.Sprintf("/proc/%d/ns/net", c.NodePID) }

// Kubectl runs kubectl against the cluster. An API server under TCG can
// take over a minute to answer (seen: openapi/v2 for apply's validation),
// hence the long request time-out and no client-side validation.
//
// A request that never reached the API server (kubectl's TLS handshake
// has a fixed 10 s time-out, which a starved API server misses: seen on
// 5.10-revert-C, `rollout restart` failed so) is sent again, up to
// kubectlAttempts times: nothing was changed, so that is safe for a PATCH.
//
// A read (get, logs) is also sent again after the API server failed to
// answer it in time: reading twice changes nothing.
func Kubectl(ctx context.Context, stdin []byte, args ...string) (string, error) {
	read := len(args) > 0 && (args[0] == "get" || args[0] == "logs")
	return kubectlRetry(ctx, read, func() (string, error) {
		return command(ctx, nil, stdin, kubectlBin, append([]string{"--request-timeout=3m"}, args...)...)
	})
}

// KubectlWait runs a kubectl that watches until its own --timeout (rollout
// status, wait, delete --wait): a request time-out would cut its watch.
func KubectlWait(ctx context.Context, args ...string) (string, error) {
	return kubectlRetry(ctx, false, func() (string, error) { return command(ctx, nil, nil, kubectlBin, args...) })
}

const kubectlAttempts = 5

func kubectlRetry(ctx context.Context, read bool, run func() (string, error)) (string, error) {
	for attempt := 1; ; attempt++ {
		out, err := run()
		if err == nil || attempt == kubectlAttempts || !(NeverSent(out) || read && Unanswered(out)) {
			return out, err
		}
		if err := mono.Sleep(ctx, time.Duration(attempt)*5*time.Second); err != nil {
			return out, err
		}
	}
}

// NeverSent reports kubectl's words for a request that failed before the
// API server could read it: the TCP connect or the TLS handshake failed.
// An EOF or a time-out after the request was written is not one of them.
func NeverSent(out string) bool {
	_, rest, ok := strings.Cut(out, "Unable to connect to the server: ")
	if !ok {
		return false
	}
	for _, s := range []string{"net/http: TLS handshake timeout", "connect: connection refused", "connect: no route to host"} {
		if strings.Contains(firstLine(rest), s) {
			return true
		}
	}
	return false
}

// Unanswered reports kubectl's words for a request the API server took
// but did not answer: its own time-out, or the stream cut mid-answer.
// Only a read may be sent again after one of these.
func Unanswered(out string) bool {
	for _, s := range []string{"Error from server (Timeout)", "stream error when reading response body", "Unable to connect to the server: net/http: request canceled", "context deadline exceeded"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// Diagnostics gathers what explains a failed cell: pods, events, the
// control plane's containers and the API server's and etcd's last words,
// the kubelet's and containerd's journal and kube-proxy's log.
func Diagnostics(ctx context.Context) []byte {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var b bytes.Buffer
	for _, c := range []struct {
		title string
		name  string
		args  []string
	}{
		{"docker ps -a", "docker", []string{"ps", "-a"}},
		{"pods", kubectlBin, []string{"get", "pods", "-A", "-o", "wide"}},
		{"events", kubectlBin, []string{"get", "events", "-A", "--sort-by=.lastTimestamp"}},
		{"kube-proxy log", kubectlBin, []string{"-n", "kube-system", "logs", "-l", "k8s-app=kube-proxy", "--tail=200"}},
		{"client log", kubectlBin, []string{"logs", ClientPod, "--tail=50"}},
		{"control-plane containers", "docker", []string{"exec", nodeName, "crictl", "ps", "-a"}},
		// why a control-plane container exited: the API server's and etcd's own words
		{"kube-apiserver + etcd logs", "docker", []string{"exec", nodeName, "sh", "-c",
			`for c in kube-apiserver etcd; do id=$(crictl ps -a -q --name "^$c\$" | head -n 1); echo "--- $c $id"; [ -n "$id" ] && crictl logs --tail 60 "$id" 2>&1; done`}},
		{"kubelet + containerd journal", "docker", []string{"exec", nodeName, "journalctl", "-u", "kubelet", "-u", "containerd", "--no-pager", "-n", "300"}},
		{"dmesg", "dmesg", nil},
	} {
		out, err := command(ctx, nil, nil, c.name, c.args...)
		fmt.Fprintf(&b, "==== %s\n%s\n", c.title, tail(out, 40000))
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
		}
	}
	return b.Bytes()
}

// ticker calls fn with the time elapsed every period until stop is called.
func ticker(period time.Duration, fn func(time.Duration)) (stop func()) {
	start := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn(time.Since(start))
			}
		}
	}()
	return func() { close(done) }
}
