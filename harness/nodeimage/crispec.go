package nodeimage

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// ctrOCISpec is `ctr oci spec` of the pinned containerd (Debian trixie
// 1.7.24~ds1-6+deb13u1), captured by running that ctr with the pinned
// loader; kind's base image builds /etc/containerd/cri-base.json from it.
//
//go:embed ctr-oci-spec.json
var ctrOCISpec []byte

// criBaseSpec does what kind's Dockerfile does with jq: append the
// mount-product-files.sh createContainer hook and drop process.rlimits.
func criBaseSpec() ([]byte, error) {
	var spec map[string]any
	if err := json.Unmarshal(ctrOCISpec, &spec); err != nil {
		return nil, fmt.Errorf("parse ctr oci spec: %w", err)
	}
	hooks, _ := spec["hooks"].(map[string]any)
	if hooks == nil {
		hooks = map[string]any{}
	}
	create, _ := hooks["createContainer"].([]any)
	hooks["createContainer"] = append(create, map[string]any{"path": "/kind/bin/mount-product-files.sh"})
	spec["hooks"] = hooks
	if proc, ok := spec["process"].(map[string]any); ok {
		delete(proc, "rlimits")
	}
	out, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
