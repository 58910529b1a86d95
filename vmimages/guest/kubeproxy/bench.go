package kubeproxy

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
)

// BenchMain is `agent controlplane-bench`: it brings the tier's control
// plane and kube-proxy up and down --runs times on a set-up node and prints
// one "CONTROLPLANE run=N ready=S kubeproxy=S mode=M" line per run, which
// `rolloutlab bench-controlplane` reads.
func BenchMain(args []string) int {
	fs := flag.NewFlagSet("controlplane-bench", flag.ContinueOnError)
	version := fs.String("version", scenario.KubeProxyCurrent, "kube-proxy release")
	mode := fs.String("mode", "ipvs", "kube-proxy --proxy-mode")
	runs := fs.Int("runs", 3, "start/stop cycles")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := bench(*version, *mode, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "controlplane-bench:", err)
		return 1
	}
	return 0
}

func bench(version, mode string, runs int) error {
	if err := node.Setup(); err != nil {
		return fmt.Errorf("node setup: %w", err)
	}
	defer node.Teardown()
	ctx := context.Background()
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	for i := 1; i <= runs; i++ {
		dir := filepath.Join("/tmp", fmt.Sprintf("k8s-bench-%d", i))
		cp, err := StartControlPlane(ctx, dir, scenario.APIServerVersion(version), node.NodeIP, logf)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		if err := cp.Client.Apply(ctx, nodePath(), NodeObject(node.NodeIP, "10.244.0.0/24")); err != nil {
			cp.Stop()
			return fmt.Errorf("run %d: register node: %w", i, err)
		}
		kp, err := StartKubeProxy(ctx, cp, version, scenario.ProxyMode(mode), node.ClusterCIDR)
		if err != nil {
			cp.Stop()
			return fmt.Errorf("run %d: %w", i, err)
		}
		fmt.Printf("CONTROLPLANE run=%d ready=%.3f kubeproxy=%.3f mode=%s\n",
			i, cp.ReadyAfter.Seconds(), kp.ReadyAfter.Seconds(), kp.Effective)
		kp.Stop()
		cp.Stop()
		// the next run starts from an empty etcd, as a fresh cell does
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		time.Sleep(time.Second)
	}
	return nil
}
