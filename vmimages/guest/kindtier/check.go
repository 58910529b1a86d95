package kindtier

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/procfs"
	"github.com/rolloutlab/rolloutlab/wire"
)

// CheckCommand is the agent subcommand behind `make kind-check`: one
// cluster, created by the kind tier's own Create (stock kind, the patched
// one only when the node missed stock kind's systemd wait), then checked.
// It prints the line protocol harness/kindcluster.Parse reads:
//
//	@step NAME MS        a step and its guest-measured duration
//	@kind MS LINE        kind's output, MS after kind started
//	@report KEY VALUE    a fact read from the cluster
//	@section NAME / @end a block of output (images, logs) kept verbatim
//	@deviation TEXT      something this run did differently from stock kind
//	@fail TEXT           why the check gave up
const CheckCommand = wire.KindCheckCommand

// CheckMain is CheckCommand: kind-check --spec JSON --mode MODE.
func CheckMain(args []string) int {
	fs := flag.NewFlagSet(CheckCommand, flag.ContinueOnError)
	specJSON := fs.String("spec", "", "wire.KindSpec as JSON")
	mode := fs.String("mode", "", "kube-proxy mode")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var spec wire.KindSpec
	if err := json.Unmarshal([]byte(*specJSON), &spec); err != nil {
		fmt.Fprintf(os.Stderr, "%s: --spec: %v\n", CheckCommand, err)
		return 2
	}
	if err := spec.Valid(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: --spec: %v\n", CheckCommand, err)
		return 2
	}
	console, err := os.OpenFile("/dev/console", os.O_WRONLY, 0)
	if err != nil {
		console = os.Stderr
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	ck := &checker{out: os.Stdout, console: console, spec: spec, mode: scenario.ProxyMode(*mode)}
	if err := ck.run(ctx); err != nil {
		ck.printf("@fail %s\n", oneLine(err.Error()))
		ck.say("FAIL %v", err)
		return 1
	}
	return 0
}

type checker struct {
	out, console io.Writer
	spec         wire.KindSpec
	mode         scenario.ProxyMode
	cluster      *Cluster
}

func (ck *checker) printf(format string, args ...any) { fmt.Fprintf(ck.out, format, args...) }
func (ck *checker) say(format string, args ...any) {
	fmt.Fprintf(ck.console, "kind-check: "+format+"\n", args...)
}
func (ck *checker) report(key, value string) {
	ck.printf("@report %s %s\n", key, oneLine(value))
	ck.say("%s = %s", key, oneLine(value))
}
func (ck *checker) section(name, body string) {
	if body = strings.TrimRight(body, "\n"); body == "" {
		ck.printf("@section %s\n@end\n", name) // no line: an empty pull-attempts is none
		return
	}
	ck.printf("@section %s\n%s\n@end\n", name, body)
}

// step times fn and prints it; the name is the protocol's step name.
func (ck *checker) step(name string, fn func() error) error {
	start := time.Now()
	err := fn()
	d := time.Since(start)
	ck.printf("@step %s %d\n", name, d.Milliseconds())
	ck.say("%s took %s", name, d.Round(100*time.Millisecond))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (ck *checker) run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			ck.section("diagnostics", string(Diagnostics(context.WithoutCancel(ctx))))
		}
		if ck.cluster != nil && !ck.spec.Keep {
			_ = ck.step("kind-delete", func() error { return ck.cluster.Delete(context.WithoutCancel(ctx)) })
		}
	}()
	logf := func(format string, args ...any) { ck.say(format, args...) }
	im := &Images{Spec: ck.spec, Logf: logf}
	if err := ck.step("image-load", func() error { return im.Ensure(ctx) }); err != nil {
		return err
	}
	createErr := ck.step("kind-create", func() (err error) {
		ck.cluster, err = Create(ctx, ck.spec, ck.mode, logf)
		return err
	})
	if ck.cluster != nil {
		for _, l := range KindLines(ck.cluster.Output) {
			ck.printf("@kind %d %s\n", l.ms, l.text)
		}
		ck.report("kind-version", ck.cluster.Version)
		if ck.cluster.Deviation != "" {
			ck.printf("@deviation %s\n", ck.cluster.Deviation)
		}
	}
	if createErr != nil {
		return createErr
	}
	wait := ck.spec.Wait.D()
	if err := ck.step("node-ready", func() error {
		_, err := KubectlWait(ctx, "wait", "--for=condition=Ready", "node", "--all", "--timeout="+wait.String())
		return err
	}); err != nil {
		return err
	}
	nodes, _ := Kubectl(ctx, nil, "get", "nodes", "--no-headers")
	ck.report("node", strings.Join(strings.Fields(nodes), " "))
	if used, total, ok := memoryMiB(); ok {
		ck.report("guest-memory-mib", fmt.Sprintf("%d/%d", used, total))
	}
	var pods string
	if err := ck.step("kube-proxy-running", func() (err error) {
		pods, err = kubeProxyRunning(ctx, wait)
		return err
	}); err != nil {
		return err
	}
	ck.report("kube-proxy-pod", pods)
	var mode string
	if err := ck.step("proxy-mode", func() (err error) {
		mode, err = waitProxyMode(ctx, 2*time.Minute, ck.cluster.NetNS())
		return err
	}); err != nil {
		return err
	}
	ck.report("proxy-mode", mode)
	// the IPVS sysctls as the node's network namespace has them
	s, err := node.ReadSysctlsIn(ck.cluster.NetNS(), nil, "net/ipv4/vs/conn_reuse_mode", "net/ipv4/vs/expire_nodest_conn", "net/ipv4/vs/conntrack")
	for _, k := range []string{"conn_reuse_mode", "expire_nodest_conn", "conntrack"} {
		v, ok := s["net/ipv4/vs/"+k]
		if !ok && err != nil {
			v = err.Error()
		}
		ck.report("vs."+k, v)
	}
	ipvs, _ := os.ReadFile(fmt.Sprintf("/proc/%d/net/ip_vs", ck.cluster.NodePID))
	ck.report("ipvs-entries", strconv.Itoa(ipvsEntries(string(ipvs))))
	images, _ := command(ctx, nil, nil, "docker", "images", "--format", "{{.Repository}}:{{.Tag}}")
	ck.section("docker-images", images)
	crictl, _ := command(ctx, nil, nil, "docker", "exec", nodeName, "sh", "-c", "crictl images -o json | jq -r '.images[].repoTags[]'")
	ck.section("crictl-images", crictl)
	all, _ := Kubectl(ctx, nil, "get", "pods", "-A", "-o", "wide")
	ck.section("pods", all)
	ck.section("pull-attempts", pullAttempts(ctx))
	return nil
}

// pullAttempts lists what in containerd's and kubelet's journal or in the
// events looks like an image pull: there must be none.
func pullAttempts(ctx context.Context) string {
	journal, _ := command(ctx, nil, nil, "docker", "exec", nodeName, "sh", "-c",
		"journalctl -u containerd -u kubelet --no-pager | grep -iE 'PullImage|Pulling image|failed to pull|ErrImagePull|ImagePullBackOff' | tail -n 50")
	events, _ := Kubectl(ctx, nil, "get", "events", "-A", "--no-headers")
	var lines []string
	for _, l := range strings.Split(journal, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	for _, l := range strings.Split(events, "\n") {
		if strings.Contains(l, " Pulling ") || strings.Contains(l, "ErrImagePull") || strings.Contains(l, "ImagePullBackOff") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

type kindLine struct {
	ms   int64
	text string
}

// KindLines reads Cluster.Output ("%7.1fs line" per line of kind's).
func KindLines(output string) []kindLine {
	var out []kindLine
	for _, l := range strings.Split(output, "\n") {
		at, text, ok := strings.Cut(strings.TrimLeft(l, " "), "s ")
		if !ok {
			continue
		}
		sec, err := strconv.ParseFloat(at, 64)
		if err != nil {
			continue
		}
		out = append(out, kindLine{ms: int64(sec * 1000), text: text})
	}
	return out
}

// ipvsEntries counts the services and destinations of /proc/net/ip_vs
// (its first three lines are headers).
func ipvsEntries(procNetIPVS string) int {
	lines := strings.Split(strings.TrimSpace(procNetIPVS), "\n")
	if len(lines) <= 3 {
		return 0
	}
	return len(lines) - 3
}

// memoryMiB is the guest's memory in use and in all.
func memoryMiB() (used, total int64, ok bool) {
	kb := procfs.MeminfoKiB()
	if kb["MemTotal"] == 0 {
		return 0, 0, false
	}
	return (kb["MemTotal"] - kb["MemAvailable"]) / 1024, kb["MemTotal"] / 1024, true
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
