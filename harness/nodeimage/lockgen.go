package nodeimage

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/debindex"
	"github.com/rolloutlab/rolloutlab/harness/image"
)

// Suite is the Debian release the node and component images come from:
// kind v0.33.0's base image is debian:trixie-slim, and trixie's systemd 257,
// iptables 1.8.11 and containerd 1.7 are what kind's files are written for.
const Suite = "trixie"

// NodeRoots are the packages of the node's root filesystem: what kind's
// images/base/Dockerfile installs (minus storage-test and rootless extras),
// the essential set of debian:trixie-slim that kind's scripts call, and the
// container runtime kind builds from source (taken from Debian here).
var NodeRoots = []string{
	// kind: services, kubernetes components, container runtime, misc
	"systemd", "conntrack", "iptables", "nftables", "iproute2", "ethtool",
	"util-linux", "mount", "kmod", "libseccomp2", "pigz", "bash",
	"ca-certificates", "jq", "procps",
	// containerd and runc: kind builds them from source, Debian has them
	"containerd", "runc",
	// trixie-slim's essentials that kind's scripts use (update-alternatives
	// is in dpkg, which in debianutils)
	"base-files", "base-passwd", "coreutils", "dash", "debianutils", "diffutils",
	"dpkg", "findutils", "grep", "gzip", "hostname", "libc-bin", "mawk",
	"netbase", "sed", "tar",
}

// ComponentRoots supply the component images' userspace: the C library
// for dynamically linked Go binaries, and kube-proxy's netfilter tools.
var ComponentRoots = []string{"libc6", "iptables", "nftables", "ipset", "conntrack"}

// avoidAlternatives steer "a | b" dependencies off packages this image
// must not carry (a second init system, a full MTA, ...).
var avoidAlternatives = []string{"sysvinit-core", "systemd-standalone-sysusers", "systemd-standalone-tmpfiles"}

// LockRequest says how to regenerate vmimages/kind-node.lock.
type LockRequest struct {
	Mirror   string // "" means image.Mirror()
	Progress io.Writer
}

// GenerateLock resolves the Depends closure of NodeRoots and ComponentRoots
// from the suite's Packages index and returns the lock file's content. Of
// alternatives one already chosen wins (one awk, not two), and
// avoidAlternatives are passed over.
// Whole packages are pinned: the node unpacks every one of them.
func GenerateLock(ctx context.Context, req LockRequest) ([]byte, error) {
	if req.Mirror == "" {
		req.Mirror = image.Mirror()
	}
	roots := append(append([]string(nil), NodeRoots...), ComponentRoots...)
	url, closure, err := image.ResolveLock(ctx, req.Mirror, Suite, roots, debindex.PreferChosen(avoidAlternatives...), req.Progress)
	if err != nil {
		return nil, err
	}
	var size int64
	for _, e := range closure {
		size += e.Size
	}
	logf(req.Progress, "lock: %d packages, %.1f MB of .debs\n", len(closure), float64(size)/1e6)
	header := []string{
		"Debian packages of the kind node image and the component images (harness/nodeimage).",
		"Regenerate: go run ./harness/cmd/rolloutlab build-node-image --write-lock vmimages/kind-node.lock",
		fmt.Sprintf("from %s on %s", url, time.Now().UTC().Format("2006-01-02")),
		"node roots: " + strings.Join(NodeRoots, " "),
		"component roots: " + strings.Join(ComponentRoots, " "),
		"package version pool-path size sha256",
	}
	return image.FormatLock(header, closure), nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}
