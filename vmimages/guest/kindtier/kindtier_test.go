package kindtier

import (
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/load"
)

func parseCell(t *testing.T, spec string) scenario.Cell {
	t.Helper()
	cells, err := scenario.ParseSpecs(spec)
	if err != nil {
		t.Fatal(err)
	}
	return cells[0]
}

func TestWorkloadManifest(t *testing.T) {
	c := parseCell(t, "ipvs:0/tier=kind/replicas=3/surge=1/unavailable=0/prestop=1500ms/readiness=2s")
	b, err := WorkloadManifest(c, "rolloutlab/app:abc")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Kind  string `json:"kind"`
		Items []struct {
			Kind string `json:"kind"`
			Spec struct {
				Replicas int `json:"replicas"`
				Strategy struct {
					RollingUpdate struct {
						MaxSurge       any `json:"maxSurge"`
						MaxUnavailable any `json:"maxUnavailable"`
					} `json:"rollingUpdate"`
				} `json:"strategy"`
				Template struct {
					Spec struct {
						Grace      int `json:"terminationGracePeriodSeconds"`
						Containers []struct {
							Image     string   `json:"image"`
							Pull      string   `json:"imagePullPolicy"`
							Command   []string `json:"command"`
							Resources struct {
								Requests map[string]string `json:"requests"`
								Limits   map[string]string `json:"limits"`
							} `json:"resources"`
							Readiness struct {
								Delay int `json:"initialDelaySeconds"`
							} `json:"readinessProbe"`
							Lifecycle struct {
								PreStop struct {
									Sleep struct {
										Seconds int `json:"seconds"`
									} `json:"sleep"`
								} `json:"preStop"`
							} `json:"lifecycle"`
						} `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
				Ports []struct {
					Port       int `json:"port"`
					TargetPort int `json:"targetPort"`
				} `json:"ports"`
			} `json:"spec"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	if list.Kind != "List" || len(list.Items) != 2 || list.Items[0].Kind != "Service" || list.Items[1].Kind != "Deployment" {
		t.Fatalf("objects: %s", b)
	}
	svc, dep := list.Items[0].Spec, list.Items[1].Spec
	if len(svc.Ports) != 1 || svc.Ports[0].Port != 80 || svc.Ports[0].TargetPort != ServerPort {
		t.Errorf("service ports %+v", svc.Ports)
	}
	if dep.Replicas != 3 {
		t.Errorf("replicas %d", dep.Replicas)
	}
	// integers stay integers, percentages strings: the API refuses "1"
	if ru := dep.Strategy.RollingUpdate; ru.MaxSurge != float64(1) || ru.MaxUnavailable != float64(0) {
		t.Errorf("rolling update %#v", ru)
	}
	ct := dep.Template.Spec.Containers[0]
	if ct.Image != "rolloutlab/app:abc" || ct.Pull != "Never" || ct.Command[0] != AppBinary || ct.Command[1] != "serve" {
		t.Errorf("container %+v", ct)
	}
	// a request (not BestEffort's cpu.weight 1) and no limit (no CFS quota)
	if ct.Resources.Requests["cpu"] != ServerCPURequest || ct.Resources.Limits != nil {
		t.Errorf("server resources %+v", ct.Resources)
	}
	if ct.Readiness.Delay != 2 || ct.Lifecycle.PreStop.Sleep.Seconds != 2 || dep.Template.Spec.Grace != 32 {
		t.Errorf("readiness %d preStop %d grace %d", ct.Readiness.Delay, ct.Lifecycle.PreStop.Sleep.Seconds, dep.Template.Spec.Grace)
	}
	// no preStop asked: no lifecycle at all (a sleep of 0 needs a feature gate)
	b, _ = WorkloadManifest(parseCell(t, "iptables/tier=kind"), "x")
	if strings.Contains(string(b), "preStop") || !strings.Contains(string(b), `"25%"`) {
		t.Errorf("defaults: %s", b)
	}
	if _, err := WorkloadManifest(c, ""); err == nil {
		t.Error("no image: want an error")
	}
	// more server pods than the node's CPU requests fit
	big := parseCell(t, "ipvs:0/tier=kind")
	big.Rollout.Replicas = 4 // 4 running + 1 surge + 4 terminating
	if _, err := WorkloadManifest(big, "x"); err == nil || !strings.Contains(err.Error(), "= 9 server pods") || !strings.Contains(err.Error(), "at most 8") {
		t.Errorf("9 server pods: want the node's limit, got %v", err)
	}
}

func TestClientManifest(t *testing.T) {
	c := parseCell(t, "ipvs:0/tier=kind/ports=40000-40199/rate=30")
	b, err := ClientManifest(c, "rolloutlab/app:abc", "10.96.12.34")
	if err != nil {
		t.Fatal(err)
	}
	var pod struct {
		Spec struct {
			Security struct {
				Sysctls []struct{ Name, Value string } `json:"sysctls"`
			} `json:"securityContext"`
			Containers []struct {
				Command   []string `json:"command"`
				Resources struct {
					Requests map[string]string `json:"requests"`
					Limits   map[string]string `json:"limits"`
				} `json:"resources"`
				Mounts []struct {
					Path string `json:"mountPath"`
				} `json:"volumeMounts"`
			} `json:"containers"`
			Volumes []struct {
				HostPath struct{ Path string } `json:"hostPath"`
			} `json:"volumes"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(b, &pod); err != nil {
		t.Fatal(err)
	}
	s := pod.Spec.Security.Sysctls
	if len(s) != 1 || s[0].Name != "net.ipv4.ip_local_port_range" || s[0].Value != "40000 40199" {
		t.Errorf("sysctls %+v", s)
	}
	if r := pod.Spec.Containers[0].Resources; r.Requests["cpu"] != ClientCPURequest || r.Limits != nil {
		t.Errorf("client resources %+v: want a CPU request and no limit", r)
	}
	cmd := pod.Spec.Containers[0].Command
	if len(cmd) != 4 || cmd[1] != "load" || cmd[2] != "--config" {
		t.Fatalf("command %q", cmd)
	}
	var cfg load.Config
	if err := json.Unmarshal([]byte(cmd[3]), &cfg); err != nil {
		t.Fatal(err)
	}
	if m := pod.Spec.Containers[0].Mounts; len(m) != 1 || m[0].Path == AppBinary || !strings.HasPrefix(cfg.Out, m[0].Path+"/") {
		t.Errorf("records %s, mounts %+v: the mount must hold the records and not cover the app binary", cfg.Out, m)
	}
	if cfg.Target != "10.96.12.34:80" || cfg.Rate != 30 || cfg.Out != RecordsFile(c.Name) || cfg.MaxDuration.D() != scenario.KindMaxDuration {
		t.Errorf("load config %+v", cfg)
	}
	if _, err := ClientManifest(c, "x", ""); err == nil {
		t.Error("no ClusterIP: want an error")
	}
}

func watchLines(t *testing.T, a *APITimeline, kind string, lines ...string) []scenario.Event {
	t.Helper()
	var out []scenario.Event
	for i, l := range lines {
		var ev WatchEvent
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatal(err)
		}
		apply := a.Pod
		if kind == "slice" {
			apply = a.Slice
		}
		evs, err := apply(ev.Type, ev.Object, int64(i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
	}
	return out
}

func kinds(evs []scenario.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Kind)+":"+e.Pod+":"+e.IP)
	}
	return out
}

func TestAPITimelinePods(t *testing.T) {
	a := NewAPITimeline()
	evs := watchLines(t, a, "pod",
		`{"type":"ADDED","object":{"metadata":{"name":"web-1"},"status":{"phase":"Pending"}}}`,
		`{"type":"MODIFIED","object":{"metadata":{"name":"web-1"},"status":{"phase":"Running","podIP":"10.244.0.5","containerStatuses":[{"state":{"running":{}}}]}}}`,
		`{"type":"MODIFIED","object":{"metadata":{"name":"web-1"},"status":{"phase":"Running","podIP":"10.244.0.5","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"state":{"running":{}}}]}}}`,
		`{"type":"MODIFIED","object":{"metadata":{"name":"web-1","deletionTimestamp":"2026-12-02T15:00:00Z"},"status":{"podIP":"10.244.0.5","conditions":[{"type":"Ready","status":"False"}]}}}`,
		`{"type":"MODIFIED","object":{"metadata":{"name":"web-1","deletionTimestamp":"2026-12-02T15:00:00Z"},"status":{"podIP":"10.244.0.5","containerStatuses":[{"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}}`,
		`{"type":"DELETED","object":{"metadata":{"name":"web-1"},"status":{}}}`,
	)
	want := []string{"pod-created:web-1:", "server-started:web-1:10.244.0.5", "ready:web-1:10.244.0.5",
		"terminating:web-1:10.244.0.5", "exit:web-1:10.244.0.5", "pod-deleted:web-1:10.244.0.5"}
	if got := kinds(evs); !reflect.DeepEqual(got, want) {
		t.Errorf("events\n got %q\nwant %q", got, want)
	}
	if len(a.Pods()) != 0 {
		t.Errorf("deleted pod still listed: %v", a.Pods())
	}
	// seeing the same state again adds nothing
	a = NewAPITimeline()
	ready := `{"type":"MODIFIED","object":{"metadata":{"name":"web-2"},"status":{"podIP":"10.244.0.6","conditions":[{"type":"Ready","status":"True"}]}}}`
	if evs := watchLines(t, a, "pod", ready, ready); len(evs) != 2 {
		t.Errorf("repeated state: %q", kinds(evs))
	}
	if a.PodByIP("10.244.0.6") != "web-2" || a.PodIP("web-2") != "10.244.0.6" {
		t.Error("ip lookups")
	}
}

func TestAPITimelineSlices(t *testing.T) {
	a := NewAPITimeline()
	ep := func(pod, ip string, ready, term bool) string {
		return `{"addresses":["` + ip + `"],"conditions":{"ready":` + boolStr(ready) + `,"serving":true,"terminating":` + boolStr(term) + `},"targetRef":{"name":"` + pod + `"}}`
	}
	evs := watchLines(t, a, "slice",
		`{"type":"ADDED","object":{"metadata":{"name":"web-abc"},"endpoints":[`+ep("a", "10.244.0.5", true, false)+`]}}`,
		`{"type":"MODIFIED","object":{"metadata":{"name":"web-abc"},"endpoints":[`+ep("a", "10.244.0.5", true, false)+`,`+ep("b", "10.244.0.6", false, false)+`]}}`,
		`{"type":"MODIFIED","object":{"metadata":{"name":"web-abc"},"endpoints":[`+ep("a", "10.244.0.5", false, true)+`,`+ep("b", "10.244.0.6", true, false)+`]}}`,
		`{"type":"MODIFIED","object":{"metadata":{"name":"web-abc"},"endpoints":[`+ep("b", "10.244.0.6", true, false)+`]}}`,
	)
	want := []string{"slice-ready:a:10.244.0.5", "slice-not-ready:b:10.244.0.6", "slice-not-ready:a:10.244.0.5",
		"slice-ready:b:10.244.0.6", "slice-removed:a:10.244.0.5"}
	if got := kinds(evs); !reflect.DeepEqual(got, want) {
		t.Errorf("events\n got %q\nwant %q", got, want)
	}
	if evs[2].Detail != "serving=true terminating=true" {
		t.Errorf("detail %q", evs[2].Detail)
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// A real /proc/net/ip_vs of a kind node (two services, one real server at
// weight 0), read back in ipvsadm's form.
const procIPVS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  0A60000A:0035 rr
  -> 0AF40002:0035      Masq    1      0          0
TCP  0A60C5A3:0050 rr
  -> 0AF40005:1F90      Masq    1      0          3
  -> 0AF40007:1F90      Masq    0      0          12
`

func TestIPVSFromProc(t *testing.T) {
	table := IPVSFromProc(procIPVS)
	if !strings.Contains(table, "TCP 10.96.197.163:80 rr") || !strings.Contains(table, "-> 10.244.0.7:8080 Masq 0 0 12") {
		t.Fatalf("converted:\n%s", table)
	}
	vip := "10.96.197.163:80"
	if got := TakingTraffic(scenario.ModeIPVS, "", table, vip, ServerPort); !reflect.DeepEqual(got, []string{"10.244.0.5"}) {
		t.Errorf("taking %v", got)
	}
	if got := RealServers(table, vip); !reflect.DeepEqual(got, []string{"10.244.0.5", "10.244.0.7"}) {
		t.Errorf("servers %v", got)
	}
	if hexAddr("[fe80::1]:0050") != "[fe80::1]:0050" {
		t.Error("IPv6 must be left as printed")
	}
}

func TestTimelineDiff(t *testing.T) {
	tl := newTimeline(func(string, ...any) {})
	tl.api.pods["web-1"] = &podState{ip: "10.244.0.5"}
	tl.api.pods["web-2"] = &podState{ip: "10.244.0.6"}
	tl.diff(1, scenario.ModeIPVS, []string{"10.244.0.5"}, []string{"10.244.0.5"})
	tl.diff(2, scenario.ModeIPVS, []string{"10.244.0.5", "10.244.0.6"}, []string{"10.244.0.5", "10.244.0.6"})
	tl.diff(3, scenario.ModeIPVS, []string{"10.244.0.6"}, []string{"10.244.0.5", "10.244.0.6"})
	tl.diff(4, scenario.ModeIPVS, []string{"10.244.0.6"}, []string{"10.244.0.6"})
	want := []string{"endpoint-added:web-1:10.244.0.5", "endpoint-added:web-2:10.244.0.6",
		"endpoint-removed:web-1:10.244.0.5", "weight-0:web-1:10.244.0.5", "real-server-deleted:web-1:10.244.0.5"}
	if got := kinds(tl.events()); !reflect.DeepEqual(got, want) {
		t.Errorf("events\n got %q\nwant %q", got, want)
	}
	// iptables: a DNAT target going away is the removal, no IPVS events
	tl = newTimeline(func(string, ...any) {})
	tl.diff(1, scenario.ModeIPTables, []string{"10.244.0.5"}, nil)
	tl.diff(2, scenario.ModeIPTables, nil, nil)
	if got := kinds(tl.events()); !reflect.DeepEqual(got, []string{"endpoint-added::10.244.0.5", "endpoint-removed::10.244.0.5"}) {
		t.Errorf("iptables events %q", got)
	}
}

func TestKubeProxySettings(t *testing.T) {
	// kubeadm's rendering of kind's kube-proxy config (abridged)
	conf := `apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
clusterCIDR: 10.244.0.0/16
conntrack:
  maxPerCore: 0
  min: null
  tcpBeLiberal: true
iptables:
  masqueradeAll: false
  minSyncPeriod: 1s
  syncPeriod: 0s
ipvs:
  minSyncPeriod: 0s
  scheduler: ""
kind: KubeProxyConfiguration
metricsBindAddress: ""
mode: nftables
`
	got := KubeProxySettings(conf)
	for k, v := range map[string]string{"mode": "nftables", "conntrack.maxPerCore": "0", "conntrack.tcpBeLiberal": "true",
		"iptables.minSyncPeriod": "1s", "ipvs.minSyncPeriod": "0s", "clusterCIDR": "10.244.0.0/16"} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if _, ok := got["bindAddress"]; ok {
		t.Error("bindAddress is not one of the settings kept")
	}
}

func TestUntil(t *testing.T) {
	n := 0
	if err := until(t.Context(), time.Second, func() bool { n++; return n == 2 }); err != nil {
		t.Fatal(err)
	}
	if err := until(t.Context(), 10*time.Millisecond, func() bool { return false }); err == nil {
		t.Error("want a timeout")
	}
}

func TestPressure(t *testing.T) {
	p := ParsePressure("some avg10=1.00 avg60=0.50 avg300=0.10 total=2500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=500000\n")
	if p["some"] != 2500000 || p["full"] != 500000 || len(p) != 2 {
		t.Fatalf("parsed %v", p)
	}
	before := Pressure{"cpu.some": 1_000_000, "io.full": 10}
	after := Pressure{"cpu.some": 6_000_000, "io.full": 5, "memory.some": 1}
	got := StallShares(before, after, 10*time.Second)
	// 5 s of CPU stall in 10 s; a counter that went back or appeared is no figure
	if got["cpu.some"] != "50.0" || len(got) != 1 {
		t.Errorf("shares %v", got)
	}
	if len(StallShares(nil, after, time.Second)) != 0 {
		t.Error("no PSI before: want no figures")
	}
}

func TestNeverSent(t *testing.T) {
	for out, want := range map[string]bool{
		"Unable to connect to the server: net/http: TLS handshake timeout\n":                     true,
		"Unable to connect to the server: dial tcp 172.18.0.2:6443: connect: connection refused": true,
		// written, then no answer: the server may have acted on it
		"Unable to connect to the server: EOF":                                                  false,
		"Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded)": false,
		"Error from server (Forbidden): pods is forbidden":                                      false,
		"error: timed out waiting for the condition\nTLS handshake timeout":                     false,
	} {
		if got := NeverSent(out); got != want {
			t.Errorf("NeverSent(%q) = %v, want %v", out, got, want)
		}
	}
}

func TestClientStarted(t *testing.T) {
	for phase, want := range map[string]bool{
		"":                        false,
		"Pending   ":              false,
		"Running   map[running:]": true,
		"Failed Evicted x":        true,
	} {
		if got := ClientStarted(phase); got != want {
			t.Errorf("ClientStarted(%q) = %v, want %v", phase, got, want)
		}
	}
}

func TestUnanswered(t *testing.T) {
	for out, want := range map[string]bool{
		"Error from server (Timeout): the server was unable to return a response in the time allotted": true,
		"error: stream error when reading response body, may be caused by closed connection":           true,
		"Error from server (NotFound): pods \"client\" not found":                                      false,
		"": false,
	} {
		if got := Unanswered(out); got != want {
			t.Errorf("Unanswered(%q) = %v, want %v", out, got, want)
		}
	}
}

// A retry starts from what set-up found, and writes into its own maps: the
// first attempt's figures must not leak into the second's result.
func TestCloneResultSharesNothing(t *testing.T) {
	base := &scenario.CellResult{Cell: parseCell(t, "ipvs:0/tier=kind")}
	base.Effective.Sysctls = map[string]string{"kind:create_s": "660.0"}
	a := cloneResult(base)
	a.Effective.Sysctls["kind:rollout_s"] = "235.5"
	b := cloneResult(base)
	if _, ok := b.Effective.Sysctls["kind:rollout_s"]; ok || base.Effective.Sysctls["kind:rollout_s"] != "" {
		t.Errorf("attempts share notes: base %v, second %v", base.Effective.Sysctls, b.Effective.Sysctls)
	}
	if b.Effective.Sysctls["kind:create_s"] != "660.0" || b.Cell.Name != "ipvs-reuse0-kind" {
		t.Errorf("second attempt lost set-up: %+v", b.Effective.Sysctls)
	}
}

func TestLastSync(t *testing.T) {
	m := `# HELP kubeproxy_sync_proxy_rules_last_timestamp_seconds [ALPHA] The last time proxy rules were successfully synced
# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge
kubeproxy_sync_proxy_rules_last_timestamp_seconds_x 5
kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family="IPv6"} 1.7968716e+09
kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family="IPv4"} 1.7968716354589639e+09
kubeproxy_sync_proxy_rules_duration_seconds_count 12
`
	got, ok := LastSync(m)
	if !ok || got.Unix() != 1796871635 || got.Nanosecond() < 458e6 || got.Nanosecond() > 460e6 {
		t.Errorf("LastSync = %v %v", got, ok)
	}
	if got, ok := LastSync("kubeproxy_sync_proxy_rules_last_timestamp_seconds 1.5e+09\n"); !ok || got.Unix() != 1.5e9 {
		t.Errorf("an unlabelled gauge (older releases): %v %v", got, ok)
	}
	if _, ok := LastSync("kubeproxy_sync_proxy_rules_last_timestamp_seconds 0\n"); ok {
		t.Error("a zero timestamp (no sync yet) accepted")
	}
	if _, ok := LastSync("kubeproxy_network_programming_duration_seconds_count 3\n"); ok {
		t.Error("metrics without the gauge accepted")
	}
}

// kind-check's output is harness/kindcluster.Parse's protocol: kind's lines
// with their milliseconds, and a section with no lines prints none.
func TestCheckProtocol(t *testing.T) {
	lines := KindLines("    0.0s Creating cluster \"rolloutlab\" ...\n    2.1s  • Ensuring node image 🖼  ...\n  213.5s  ✓ Starting control-plane 🕹️\nnot a kind line\n")
	if len(lines) != 3 || lines[1].ms != 2100 || lines[1].text != " • Ensuring node image 🖼  ..." || lines[2].ms != 213500 {
		t.Errorf("KindLines = %+v", lines)
	}
	var b strings.Builder
	ck := &checker{out: &b, console: io.Discard}
	ck.section("pull-attempts", "")
	ck.section("docker-images", "rolloutlab/kind-node:v1\nrolloutlab/app:abc\n")
	ck.report("node", "rolloutlab-control-plane   Ready\n control-plane")
	want := "@section pull-attempts\n@end\n@section docker-images\nrolloutlab/kind-node:v1\nrolloutlab/app:abc\n@end\n@report node rolloutlab-control-plane Ready control-plane\n"
	if b.String() != want {
		t.Errorf("protocol:\n%s\nwant:\n%s", b.String(), want)
	}
	if n := ipvsEntries("IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\nTCP  0A60000A:0050 rr\n  -> 0AF40002:1F90      Masq    1      0          0\n"); n != 2 {
		t.Errorf("ipvsEntries = %d, want 2", n)
	}
}
