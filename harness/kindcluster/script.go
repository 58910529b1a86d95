package kindcluster

import (
	"fmt"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/wire"
)

// ClusterName is the kind cluster's name; its node is <name>-control-plane.
const ClusterName = wire.KindClusterName

// ScriptParams configures Script.
type ScriptParams struct {
	Seed        string // where the seed files are in the guest
	Config      string // the kind config's seed file (wire.KindConfigSeed)
	NodeImage   string // the node image's tag
	Wait        time.Duration
	SystemdWait time.Duration   // KIND_SYSTEMD_WAIT for the patched build
	Kind        wire.KindPolicy // which kind binary
	Keep        bool            // leave the cluster (no kind delete cluster)
}

// Valid checks the parameters.
func (p ScriptParams) Valid() error {
	if err := p.Kind.Valid(); err != nil {
		return err
	}
	if p.Seed == "" || p.Config == "" || p.NodeImage == "" || p.Wait <= 0 {
		return fmt.Errorf("script needs a seed dir, a config, a node image and a wait > 0")
	}
	if p.Kind.NeedsSystemdWait() && p.SystemdWait <= 0 {
		return fmt.Errorf("the patched kind needs a systemd wait > 0")
	}
	return nil
}

// The script prints lines the host reads (Parse):
//
//	@step NAME MS        a step and its guest-measured duration
//	@kind MS LINE        kind's output, MS after kind started
//	@report KEY VALUE    a fact read from the cluster
//	@section NAME / @end a block of output (images, logs) kept verbatim
//	@deviation TEXT      something this run did differently from stock kind
//	@fail TEXT           why the script gave up
//
// Progress also goes to the console (console.log) as it happens.
const scriptTemplate = `set -u
exec 3>/dev/console
ms() { echo $(( $(date +%s%N) / 1000000 )); }
say() { echo "kind-check: $*" >&3; }
step() { echo "@step $1 $2"; say "$1 took $(( $2 / 1000 ))s"; }
report() { echo "@report $1 $2"; say "$1 = $2"; }
NODE=@NAME@-control-plane
KCTL="kubectl --request-timeout=60s"
diag() {
  echo "@section docker-ps"; docker ps -a; echo "@end"
  echo "@section docker-logs-node"; docker logs "$NODE" 2>&1 | tail -n 300; echo "@end"
  echo "@section journal-kubelet-containerd"; docker exec "$NODE" journalctl -u kubelet -u containerd -u rolloutlab-import-images --no-pager 2>&1 | tail -n 400; echo "@end"
  echo "@section crictl-ps"; docker exec "$NODE" crictl ps -a 2>&1; echo "@end"
  echo "@section dmesg"; dmesg | tail -n 80; echo "@end"
  echo "@section free"; free -m; echo "@end"
  if [ -d /tmp/kind-logs ] || kind export logs --name @NAME@ /tmp/kind-logs >/dev/null 2>&1; then
    # The engine root has no find or grep: globs and awk only.
    for f in /tmp/kind-logs/* /tmp/kind-logs/*/* /tmp/kind-logs/*/*/* /tmp/kind-logs/*/*/*/*; do
      [ -f "$f" ] || continue
      echo "@section kind-logs/${f#/tmp/kind-logs/}"; tail -n 300 "$f"; echo "@end"
    done
  fi
}
finish() {
  rc=$1
  if [ "$rc" != 0 ]; then diag; fi
  if [ "@KEEP@" = false ]; then
    s=$(ms); kind delete cluster --name @NAME@ >/dev/null 2>&1; step kind-delete $(( $(ms) - s ))
  fi
  exit "$rc"
}
fail() { echo "@fail $*"; say "FAIL $*"; finish 1; }

mkdir -p /usr/local/bin  # not in the engine root
install -m 0755 @SEED@/@KIND@ /usr/local/bin/kind-stock || fail "install kind"
install -m 0755 @SEED@/@KUBECTL@ /usr/local/bin/kubectl || fail "install kubectl"
if [ -f @SEED@/@KINDPATCHED@ ]; then install -m 0755 @SEED@/@KINDPATCHED@ /usr/local/bin/kind-patched || fail "install patched kind"; fi
KINDBIN=kind-stock
if [ "@POLICY@" = patched ]; then
  KINDBIN=kind-patched; export KIND_SYSTEMD_WAIT=@SYSTEMD_WAIT@
  echo "@deviation kind-v0.33.0-rolloutlab1 (KIND_SYSTEMD_WAIT=@SYSTEMD_WAIT@ instead of kind's 30 s wait for the node's systemd), asked for"
fi
ln -sf /usr/local/bin/$KINDBIN /usr/local/bin/kind
report kind-version "$(kind version)"

s=$(ms); docker load -i @SEED@/@NODETAR@ >/tmp/load.out 2>&1 || fail "docker load: $(cat /tmp/load.out)"
step image-load $(( $(ms) - s ))

create() {
  start=$(ms); echo 1 >/tmp/kind.rc
  { kind create cluster --name @NAME@ --image @IMAGE@ --config @SEED@/@CONFIG@ --retain --wait @WAIT@ 2>&1; echo "@rc $?"; } |
  while IFS= read -r l; do
    case "$l" in "@rc "*) echo "${l#@rc }" >/tmp/kind.rc; continue;; esac
    echo "@kind $(( $(ms) - start )) $l"; echo "$l" >>/tmp/kind.out; say "kind: $l"
  done
  step kind-create $(( $(ms) - start ))
  return "$(cat /tmp/kind.rc)"
}
: >/tmp/kind.out
if ! create; then
  if [ "@POLICY@" = auto ] && awk '/could not find a log line that matches "Reached target/{f=1} END{exit !f}' /tmp/kind.out; then
    echo "@deviation kind-v0.33.0-rolloutlab1 (KIND_SYSTEMD_WAIT=@SYSTEMD_WAIT@): the node's systemd missed stock kind's 30 s wait"
    diag
    kind delete cluster --name @NAME@ >/dev/null 2>&1
    rm -rf /tmp/kind-logs
    export KIND_SYSTEMD_WAIT=@SYSTEMD_WAIT@
    ln -sf /usr/local/bin/kind-patched /usr/local/bin/kind
    report kind-version "$(kind version)"
    : >/tmp/kind.out
    create || fail "kind create cluster (patched kind) exited $(cat /tmp/kind.rc)"
  else
    fail "kind create cluster exited $(cat /tmp/kind.rc)"
  fi
fi

s=$(ms)
$KCTL wait --for=condition=Ready node --all --timeout=@WAIT@ >/dev/null 2>&1 || fail "node not Ready"
step node-ready $(( $(ms) - s ))
report node "$($KCTL get nodes --no-headers 2>&1 | tr -s ' ')"
awk '/^MemTotal/{t=$2} /^MemAvailable/{a=$2} END{printf "@report guest-memory-mib %d/%d\n", (t-a)/1024, t/1024}' /proc/meminfo
echo "@section free"; free -m; echo "@end"

s=$(ms)
# kubectl wait fails at once while no pod matches: wait for the DaemonSet's pod first.
timeout @WAIT_S@ sh -c 'until kubectl -n kube-system get pods -l k8s-app=kube-proxy -o name 2>/dev/null | awk "END{exit NR==0}"; do sleep 5; done' || fail "no kube-proxy pod"
$KCTL -n kube-system wait --for=jsonpath='{.status.phase}'=Running pod -l k8s-app=kube-proxy --timeout=@WAIT@ >/dev/null 2>&1 || fail "kube-proxy pod not Running"
step kube-proxy-running $(( $(ms) - s ))
report kube-proxy-pod "$($KCTL -n kube-system get pods -l k8s-app=kube-proxy --no-headers 2>&1 | tr -s ' ')"
# The node has no curl or wget: bash's /dev/tcp speaks the HTTP.
s=$(ms); mode=""
for i in $(seq 1 60); do
  mode=$(docker exec "$NODE" bash -c 'exec 5<>/dev/tcp/127.0.0.1/10249 && printf "GET /proxyMode HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&5 && cat <&5' 2>/dev/null | tr -d '\r' | tail -n 1)
  [ -n "$mode" ] && break; sleep 2
done
step proxy-mode $(( $(ms) - s ))
report proxy-mode "$mode"
for k in conn_reuse_mode expire_nodest_conn conntrack; do
  report "vs.$k" "$(docker exec "$NODE" cat /proc/sys/net/ipv4/vs/$k 2>&1)"
done
# Lines of the node's IPVS table past its 3 header lines: services + destinations.
report ipvs-entries "$(docker exec "$NODE" sh -c 'awk "NR>3" /proc/net/ip_vs | wc -l' 2>&1)"
echo "@section docker-images"; docker images --format '{{.Repository}}:{{.Tag}}'; echo "@end"
# jq is in the node (kind's hooks need it), not in the engine root.
echo "@section crictl-images"; docker exec "$NODE" sh -c "crictl images -o json | jq -r '.images[].repoTags[]'" 2>&1; echo "@end"
echo "@section pods"; $KCTL get pods -A -o wide 2>&1; echo "@end"
# Any pull attempt shows in containerd's or kubelet's journal, or as an event.
echo "@section pull-attempts"
docker exec "$NODE" sh -c "journalctl -u containerd -u kubelet --no-pager | grep -iE 'PullImage|Pulling image|failed to pull|ErrImagePull|ImagePullBackOff' | tail -n 50"
$KCTL get events -A --no-headers 2>&1 | awk '/ Pulling | Failed .*pull|BackOff .*image/' | tail -n 20
echo "@end"
finish 0
`

// Script renders the guest script.
func Script(p ScriptParams) (string, error) {
	if err := p.Valid(); err != nil {
		return "", err
	}
	return strings.NewReplacer(
		"@NAME@", ClusterName,
		"@SEED@", p.Seed,
		"@CONFIG@", p.Config,
		"@KIND@", wire.SeedKind,
		"@KINDPATCHED@", wire.SeedKindPatched,
		"@KUBECTL@", wire.SeedKubectl,
		"@NODETAR@", wire.SeedKindNodeImage,
		"@IMAGE@", p.NodeImage,
		"@WAIT@", p.Wait.String(),
		"@WAIT_S@", fmt.Sprintf("%ds", int(p.Wait.Seconds())), // coreutils timeout takes no "15m0s"
		"@SYSTEMD_WAIT@", p.SystemdWait.String(),
		"@POLICY@", string(p.Kind),
		"@KEEP@", fmt.Sprint(p.Keep),
	).Replace(scriptTemplate), nil
}
