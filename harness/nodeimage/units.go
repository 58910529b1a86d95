package nodeimage

import (
	"fmt"
	"time"
)

// importImagesScript loads the component images into containerd's k8s.io
// namespace once per node (/var is the node's own volume), pinned so the
// kubelet's image GC never removes them. It runs from a unit wanted by
// containerd (in the background: kind waits only 30 s for
// multi-user.target) and again, as a no-op or waiting on the lock, before
// the kubelet starts, so no static pod is created before its image exists.
// ctr 1.7 has no `import --label`, hence `images label` afterwards.
const importImagesScript = `#!/bin/sh
# rolloutlab: import /kind/images/*.tar into containerd (k8s.io) once.
set -eu
stamp=/var/lib/rolloutlab/images-imported
mkdir -p /run/rolloutlab
exec 9>/run/rolloutlab/import-images.lock
flock 9
[ -e "$stamp" ] && exit 0
i=0
until ctr version >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 600 ]; then echo "containerd is not answering" >&2; exit 1; fi
  sleep 0.5
done
for f in /kind/images/*.tar; do
  ctr -n k8s.io images import --all-platforms --digests "$f"
done
while read -r ref; do
  ctr -n k8s.io images label "$ref" io.cri-containerd.pinned=pinned >/dev/null
done </kind/images/refs
mkdir -p "${stamp%/*}"
touch "$stamp"
`

const importImagesUnit = `[Unit]
Description=Import the component images into containerd (rolloutlab)
Requires=containerd.service
After=containerd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/kind/bin/rolloutlab-import-images.sh

[Install]
WantedBy=containerd.service
`

// kubeletImagesDropIn makes the kubelet wait for the import; it only runs
// once kubeadm has written the kubelet config (kind's ConditionPathExists).
const kubeletImagesDropIn = `# rolloutlab: the component images must be in containerd before any pod.
[Service]
ExecStartPre=/kind/bin/rolloutlab-import-images.sh
TimeoutStartSec=15min
`

// journaldDropIn is kind's `echo "ReadKMsg=no" >> /etc/systemd/journald.conf`
// as a drop-in, so the packaged file stays as packaged.
const journaldDropIn = "[Journal]\nReadKMsg=no\n"

// cniConflist is what kindnetd writes for a node (ptp + host-local +
// portmap); kindnetd is not available, so it is static, over the whole pod
// subnet (one node). ipMasq is on because kindnetd's own masquerading is
// missing: pod traffic leaving the pod subnet is SNATed by ptp instead.
const cniConflist = `{
  "cniVersion": "0.4.0",
  "name": "kindnet",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "/run/cni-ipam-state",
        "routes": [{ "dst": "0.0.0.0/0" }],
        "ranges": [[{ "subnet": "` + PodSubnet + `" }]]
      },
      "mtu": 1500
    },
    {
      "type": "portmap",
      "capabilities": { "portMappings": true }
    }
  ]
}
`

// placeholderManifest stands in for kind's default CNI and storage
// manifests, which kind applies unless the cluster config disables them:
// their images (kindnetd, local-path) do not exist offline.
const placeholderManifest = `# rolloutlab: no %s here (its images cannot be pulled offline).
apiVersion: v1
kind: ConfigMap
metadata:
  name: rolloutlab-no-%s
  namespace: kube-system
data:
  reason: "offline node image: %s"
`

// ControlPlaneProbeTargets are the kubeadm static pods whose probes
// probePatch relaxes (kubeadm's patch target = the container's name).
var ControlPlaneProbeTargets = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}

// ControlPlaneProbeBudget is how long the relaxed probes let a slow
// control-plane component live (liveness: 20 failures 60 s apart; startup:
// 120 x 10 s): kubeadm's control-plane wait should be no shorter.
const ControlPlaneProbeBudget = 20 * time.Minute

// probePatch is a kubeadm strategic-merge patch for one static pod.
// kubeadm's liveness probe (15 s time-out, 8 failures 10 s apart) and its
// startup probe (the control-plane wait / 10 s) suit a real machine; under
// TCG the API server answers /livez slower than that while etcd syncs, the
// kubelet kills it, and each restart takes minutes (seen on 5.10-revert-C:
// kube-apiserver in CrashLoopBackOff for 14 min, kube-proxy never Running).
// A restart loop of the control plane is the emulator's, not the kernel's,
// so the probes wait up to 20 min (60 s time-out, 20 failures 60 s apart;
// startup 120 x 10 s). Readiness probes stay kubeadm's: they do not kill.
func probePatch(container string) string {
	return fmt.Sprintf(`# rolloutlab: probes for an emulated (TCG) machine; see nodeimage.probePatch.
spec:
  containers:
  - name: %s
    livenessProbe:
      timeoutSeconds: 60
      periodSeconds: 60
      failureThreshold: 20
    startupProbe:
      timeoutSeconds: 60
      periodSeconds: 10
      failureThreshold: 120
`, container)
}
