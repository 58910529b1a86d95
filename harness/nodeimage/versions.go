package nodeimage

// KubernetesVersion is the release the node image and the component images
// are built for; it becomes /kind/version, which kind hands to kubeadm as
// kubernetesVersion.
const KubernetesVersion = "v1.34.2"

// What kubeadm v1.34.2 asks for (cmd/kubeadm/app/constants/constants.go:
// DefaultEtcdVersion, CoreDNSVersion, PauseVersion; images.GetDNSImage adds
// the coredns/ path under registry.k8s.io).
const (
	Registry       = "registry.k8s.io"
	EtcdImageTag   = "3.6.5-0"
	CoreDNSVersion = "v1.12.1"
	PauseVersion   = "3.10.1"
	// KindSandboxTag is the sandbox_image in kind's containerd config.toml:
	// the same pause image is tagged under it too.
	KindSandboxTag = "3.10"
)

// The kind release whose base files go into the node, pinned by the h1:
// hash go.sum would carry for its module zip.
const (
	KindModule     = "sigs.k8s.io/kind"
	KindVersion    = "v0.33.0"
	KindModuleHash = "h1:AjvDv3vOygb/VKLVQW87lfktIBzkxR8Ump9DjxC8+Lk="
)

// NodeRepository is the node image's name; the tag is the Kubernetes
// version and the first 12 digits of the inputs' hash.
const NodeRepository = "rolloutlab/kind-node"

// PodSubnet is what kind's default config gives pods (kubeadm's
// podSubnet); the static CNI config hands out addresses from it.
const PodSubnet = "10.244.0.0/16"
