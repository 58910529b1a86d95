// Package nodeimage assembles, offline and from pinned inputs only, what a
// kind cluster needs inside the guest: the component images kubeadm runs
// (kube-apiserver, etcd, CoreDNS, pause, ...) and the kind node image that
// carries them, as docker-archives. No registry and no `kind build
// node-image`: the node's root filesystem is unpacked from the Debian
// packages in vmimages/kind-node.lock, kind's base files come from the kind
// module zip (verified against its go.sum hash), the Kubernetes binaries are
// inputs (host paths).
//
// The contents are described by a pure Manifest (path -> source, mode,
// symlink), so tests check every required file without building anything;
// Build turns it into reproducible archives cached by the hash of all inputs.
package nodeimage
