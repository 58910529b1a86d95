// Package kindtier runs a kind tier cell in the guest: a real kind cluster in
// the cell's kube-proxy mode, a Deployment of the project's own server image
// rolled over with `kubectl rollout restart` while a client Pod runs the
// load generator, the rollout's events from API watches and from the node's
// dataplane, and the result in the format every tier shares.
package kindtier

import (
	"encoding/json"
	"fmt"
	"math"
	"path"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/load"
	"github.com/rolloutlab/rolloutlab/wire"
)

// Names of the workload's objects (namespace default).
const (
	Deployment = "web"
	Service    = "web"
	ClientPod  = "client"
	AppLabel   = "web"
	ServerPort = 8080
	// AppBinary is the app image's one file: the agent, whose serve and
	// load subcommands are the dataplane tier's pod programs.
	AppBinary = "/rolloutlab"
)

// CPU requests, no limits (a CFS quota would throttle in 100 ms slices).
// Under TCG the control plane, kubelet and containerd keep the guest's two
// vCPUs busy, and a pod's share of them follows its cgroup's cpu.weight,
// which kubelet derives from the request: a BestEffort client (weight 1)
// fell tens of seconds behind (start lag p99 53 s on 5.10-revert-C), and
// servers at 50m (weight ~3 beside the API server's ~10) answered with a
// p50 of 1-2 s on 6.1 while connects took milliseconds. The client's 400m
// puts it above the API server (250m); the servers' 100m each gives them
// a fair share. kubeadm's kube-proxy DaemonSet requests nothing, so its
// pod is BestEffort (weight 1): it programmed endpoint changes 55 s
// (iptables) to 230 s (ipvs) after the EndpointSlice on 5.10-revert-C, and
// the runner gives it KubeProxyCPURequest (recorded as a deviation). With
// the control plane's 650m (apiserver 250m, controller-manager 200m,
// scheduler 100m, etcd 100m) and kube-proxy's 100m (kindnet's, which the
// static CNI replaces) they fit the node's 2 CPUs for
// scenario.KindMaxServerPods server pods, terminating ones included.
const (
	ClientCPURequest    = "400m"
	ServerCPURequest    = "100m"
	KubeProxyCPURequest = "100m"
)

// obj is a Kubernetes object as kubectl reads it (JSON is YAML).
type obj = map[string]any

// WorkloadManifest is the Service and the Deployment of cell c, as one List
// for `kubectl apply -f -`. The Deployment carries the cell's rolling update
// (replicas, maxSurge, maxUnavailable), readiness delay, preStop and grace
// period; its pods run `serve` with their own name as the answer.
func WorkloadManifest(c scenario.Cell, image string) ([]byte, error) {
	r := c.Rollout
	if r.Replicas < 1 || image == "" {
		return nil, fmt.Errorf("workload of cell %s: want replicas >= 1 and an image", c.Name)
	}
	surge, _, err := scenario.ResolveRollingUpdate(r.Replicas, r.MaxSurge, r.MaxUnavailable)
	if err != nil {
		return nil, err
	}
	if n := scenario.KindServerPods(r.Replicas, surge); n > scenario.KindMaxServerPods {
		return nil, fmt.Errorf("workload of cell %s: 2*replicas+maxSurge = %d server pods, the kind node fits at most %d beside the client (each requests %s CPU)",
			c.Name, n, scenario.KindMaxServerPods, ServerCPURequest)
	}
	labels := obj{"app": AppLabel}
	container := obj{
		"name":            "server",
		"image":           image,
		"imagePullPolicy": "Never", // loaded with kind load: there is no registry
		"command":         []string{AppBinary, "serve", "--name", "$(POD_NAME)", "--port", fmt.Sprint(ServerPort)},
		"env":             []obj{{"name": "POD_NAME", "valueFrom": obj{"fieldRef": obj{"fieldPath": "metadata.name"}}}},
		"ports":           []obj{{"containerPort": ServerPort, "name": "http"}},
		"resources":       obj{"requests": obj{"cpu": ServerCPURequest}},
		// Ready ReadinessDelay after start, then probed each second: the
		// dataplane tier's readiness delay as a kubelet probe.
		"readinessProbe": obj{
			"tcpSocket":           obj{"port": ServerPort},
			"initialDelaySeconds": ceilSeconds(r.ReadinessDelay),
			"periodSeconds":       1,
			"failureThreshold":    1,
		},
	}
	if r.PreStop > 0 {
		// the sleep action needs no binary in the image (GA in 1.34)
		container["lifecycle"] = obj{"preStop": obj{"sleep": obj{"seconds": ceilSeconds(r.PreStop)}}}
	}
	dep := obj{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": obj{"name": Deployment, "namespace": "default"},
		"spec": obj{
			"replicas": r.Replicas,
			"selector": obj{"matchLabels": labels},
			"strategy": obj{"type": "RollingUpdate", "rollingUpdate": obj{
				"maxSurge": intOrPercent(r.MaxSurge), "maxUnavailable": intOrPercent(r.MaxUnavailable)}},
			"template": obj{
				"metadata": obj{"labels": labels},
				"spec": obj{
					// the grace period counts from the deletion, preStop
					// included; the other tiers give the grace after preStop
					"terminationGracePeriodSeconds": ceilSeconds(r.PreStop + r.TerminationGracePeriod),
					"containers":                    []obj{container},
				},
			},
		},
	}
	svc := obj{
		"apiVersion": "v1", "kind": "Service",
		"metadata": obj{"name": Service, "namespace": "default"},
		"spec": obj{
			"type":     "ClusterIP",
			"selector": labels,
			"ports":    []obj{{"name": "http", "port": 80, "targetPort": ServerPort, "protocol": "TCP"}},
		},
	}
	return json.MarshalIndent(obj{"apiVersion": "v1", "kind": "List", "items": []obj{svc, dep}}, "", "  ")
}

// recordsMount is where the client container sees the shared directory:
// not wire.KindNodeSharedDir, since the app image's one file is
// AppBinary ("/rolloutlab") and runc cannot mount a directory over it.
const recordsMount = "/records"

// RecordsFile is where the client Pod writes its records, as its container
// sees it; the guest reads the same file under wire.KindSharedDir.
func RecordsFile(cell string) string {
	return path.Join(recordsMount, cell+".records.jsonl")
}

// ClientManifest is the client Pod: the load generator aimed at the
// Service's ClusterIP, its records on the directory shared with the guest,
// and the cell's client port range set as a pod sysctl (a safe sysctl, no
// privilege needed). Deleting the Pod sends SIGTERM, on which the load
// generator stops, lets in-flight requests finish and flushes its records.
func ClientManifest(c scenario.Cell, image, clusterIP string) ([]byte, error) {
	if clusterIP == "" || image == "" {
		return nil, fmt.Errorf("client of cell %s: want a ClusterIP and an image", c.Name)
	}
	cfg := load.ConfigFor(c.Load, clusterIP+":80", RecordsFile(c.Name))
	pod := obj{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": obj{"name": ClientPod, "namespace": "default", "labels": obj{"app": "client"}},
		"spec": obj{
			"restartPolicy":                 "Never",
			"terminationGracePeriodSeconds": ceilSeconds(c.Load.Timeout) + 10,
			"securityContext": obj{"sysctls": []obj{
				{"name": "net.ipv4.ip_local_port_range", "value": c.Load.ClientPortRange}}},
			"containers": []obj{{
				"name":            "load",
				"image":           image,
				"imagePullPolicy": "Never",
				"command":         []string{AppBinary, "load", "--config", cfg.Marshal()},
				"volumeMounts":    []obj{{"name": "shared", "mountPath": recordsMount}},
				"resources":       obj{"requests": obj{"cpu": ClientCPURequest}},
			}},
			"volumes": []obj{{"name": "shared", "hostPath": obj{"path": wire.KindNodeSharedDir, "type": "Directory"}}},
		},
	}
	return json.MarshalIndent(pod, "", "  ")
}

// intOrPercent keeps "25%" a string and "1" a number, as the API wants.
func intOrPercent(s string) any {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil && fmt.Sprint(n) == s {
		return n
	}
	return s
}

func ceilSeconds(d scenario.Duration) int { return int(math.Ceil(d.D().Seconds())) }
