package runner

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/evlog"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/load"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/mono"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/proxy"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/rollout"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/sh"
)

// The service every cell measures.
func service() proxy.Service {
	return proxy.Service{Namespace: "default", Name: "web", PortName: "http",
		ClusterIP: net.IPv4(10, 96, 0, 10).To4(), Port: 80, TargetPort: 8080,
		ClusterCIDR: node.ClusterCIDR, ServiceCIDR: node.ServiceCIDR, NodeIP: node.NodeIP}
}

func programmer(c scenario.Cell, svc proxy.Service, reuse scenario.ConnReuseDecision, ev *evlog.Log) proxy.Programmer {
	switch c.ProxyMode {
	case scenario.ModeIPVS:
		return proxy.NewIPVS(svc, proxy.IPVSConfig{ConnReuse: reuse, ExpireNodestConn: *c.ExpireNodestConn,
			RSCheckInterval: c.RSCheckInterval.D(), IPTablesBackend: c.IPTablesBackend, Events: ev})
	case scenario.ModeIPTables:
		return proxy.NewIPTables(svc, c.IPTablesBackend)
	default:
		return proxy.NewNFTables(svc)
	}
}

// runCell measures c on the node. clean says the namespace holds nothing
// from an earlier cell or attempt (as booted, or just created), so the
// teardown of leftovers (four tool runs, ~0.2 s under TCG) is skipped.
func runCell(ctx context.Context, idx int, c scenario.Cell, kernel, self string, clean bool, emit Emitter) (*scenario.CellResult, []byte, error) {
	if !clean {
		if err := node.Teardown(); err != nil {
			emit.Logf("cell %s: teardown of leftovers: %v", c.Name, err)
		}
	}
	if err := node.Setup(); err != nil {
		return nil, nil, fmt.Errorf("node setup: %w", err)
	}
	res := &scenario.CellResult{Cell: c}
	if c.ProxyMode == scenario.ModeIPVS {
		spec, err := scenario.ParseConnReuseMode(c.ConnReuseMode)
		if err != nil {
			return nil, nil, err
		}
		d, err := spec.Decide(kernel)
		if err != nil {
			return nil, nil, err
		}
		res.ConnReuse = d
	}
	ev := &evlog.Log{}
	svc := service()
	prog := programmerFor(c, svc, res, ev, emit)
	defer prog.Close()
	drv := &rollout.Driver{Cell: c, Svc: svc, Prog: prog, Events: ev, Self: self, PodIPBase: net.IPv4(10, 244, 0, 2)}
	defer drv.Shutdown()
	// The proxy is programmed while the first pods start (both are mostly
	// exec and netlink; under TCG each takes ~0.3 s). No pod is an endpoint
	// before the programming is done.
	setupErr := make(chan error, 1)
	go func() { setupErr <- prog.Setup() }()
	old, startErr := drv.StartInitial("v1")
	if err := <-setupErr; err != nil {
		return nil, nil, fmt.Errorf("%s setup: %w", c.ProxyMode, err)
	}
	if startErr != nil {
		return nil, nil, fmt.Errorf("initial pods: %w", startErr)
	}
	if err := drv.ReadyInitial(ctx, old); err != nil {
		return nil, nil, fmt.Errorf("initial pods: %w", err)
	}
	// The read-back (tool runs) and the client pod (netlink) at once.
	readDone := make(chan scenario.Effective, 1)
	go func() { readDone <- readBack(prog, kernel) }()
	client, err := node.AddPod(fmt.Sprintf("client-%d", idx), clientIP(idx))
	res.Effective = <-readDone
	if err != nil {
		return nil, nil, fmt.Errorf("client pod: %w", err)
	}
	defer client.Delete()
	out := fmt.Sprintf("/tmp/rolloutlab-%s.jsonl", c.Name)
	defer os.Remove(out)
	cfg := load.ConfigFor(c.Load, net.JoinHostPort(svc.ClusterIP.String(), strconv.Itoa(svc.Port)), out)
	var lerr bytes.Buffer
	lc := exec.Command(self, "load", "--config", cfg.Marshal())
	lc.Stderr = &lerr
	if err := node.StartIn(client.NSPath(), lc); err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	ev.Add(scenario.EvLoadStart, client.Name, client.IP.String(), "")
	loadDone := make(chan error, 1)
	go func() { loadDone <- lc.Wait() }()

	rolloutErr := func() error {
		if err := mono.Sleep(ctx, c.Load.WarmUp.D()); err != nil {
			return err
		}
		ev.Add(scenario.EvRolloutStart, "", "", "")
		if err := drv.Rollout(ctx, old, "v2"); err != nil {
			return err
		}
		ev.Add(scenario.EvRolloutDone, "", "", "")
		return mono.Sleep(ctx, c.Load.CoolDown.D())
	}()
	_ = lc.Process.Signal(syscall.SIGINT)
	select {
	case err := <-loadDone:
		if err != nil {
			return nil, nil, fmt.Errorf("load: %w: %s", err, lerr.String())
		}
	case <-time.After(c.Load.Timeout.D() + 10*time.Second):
		_ = lc.Process.Kill()
		<-loadDone
		return nil, nil, fmt.Errorf("load did not stop: %s", lerr.String())
	}
	ev.Add(scenario.EvLoadStop, client.Name, client.IP.String(), "")
	if rolloutErr != nil {
		return nil, nil, fmt.Errorf("rollout: %w", rolloutErr)
	}
	if v, err := node.SysctlIn(client.NSPath(), "net/ipv4/ip_local_port_range"); err == nil {
		res.Effective.Sysctls["client:net/ipv4/ip_local_port_range"] = v
	}
	// The IPVS counters after the load, read while the records are parsed.
	statsDone := make(chan string, 1)
	go func() {
		var stats string
		if c.ProxyMode == scenario.ModeIPVS {
			stats, _ = sh.Run("", "ipvsadm", "-Ln", "--stats")
		}
		statsDone <- stats
	}()
	raw, err := os.ReadFile(out)
	var recs []scenario.Record
	if err == nil {
		recs, err = scenario.ParseRecords(raw)
	}
	res.Effective.IPVSAfter = <-statsDone
	if err != nil {
		return nil, nil, fmt.Errorf("records: %w", err)
	}
	res.Events = ev.Events()
	scenario.Analyze(res, recs, res.Events)
	return res, raw, nil
}

func readBack(prog proxy.Programmer, kernel string) scenario.Effective {
	rules, table, sets := prog.ReadBack()
	return scenario.Effective{
		KernelRelease: kernel,
		Sysctls: node.ReadSysctls([]string{"net/ipv4/vs"}, "net/ipv4/ip_forward",
			"net/netfilter/nf_conntrack_tcp_timeout_time_wait", "net/netfilter/nf_conntrack_max"),
		IPVS: table, Rules: rules, IPSets: sets,
	}
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
