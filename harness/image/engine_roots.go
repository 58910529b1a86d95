package image

// EngineRoots are the root packages of the engine root disk: a container
// engine (dockerd, containerd, runc, tini as docker-init) and what it runs
// at run time (iptables through nft, ip, modprobe, mount), plus a shell and
// coreutils for the commands the harness runs there; ipset lets the kind
// tier's fidelity check program the dataplane model in a scratch network
// namespace as the dataplane tier does (kindtier/model.go). The lock holds their
// whole Depends closure (vmimages/lock.sh -engine).
var EngineRoots = []string{
	"docker.io", "containerd", "runc", "tini",
	"iptables", "nftables", "ipset", "iproute2", "kmod", "procps", "util-linux", "mount",
	"e2fsprogs", "ca-certificates", "dash", "coreutils", "libc-bin", "base-files", "netbase",
}
