package vmimages

import (
	_ "embed"
)

//go:embed kind-node.lock
var kindNodeLock string

// KindNodeLock returns vmimages/kind-node.lock: the Debian trixie packages
// of the kind node image and the component images (harness/nodeimage).
func KindNodeLock() []byte { return []byte(kindNodeLock) }
