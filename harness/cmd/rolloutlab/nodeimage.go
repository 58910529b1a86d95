package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/nodeimage"
)

// newBuildNodeImageCommand builds the kind node image and the component
// images from binaries given by path (flags or a JSON map), offline.
func newBuildNodeImageCommand() *cobra.Command {
	var (
		bins           []string
		binsJSON       string
		componentsOnly bool
		writeLock      string
	)
	cmd := &cobra.Command{
		Use:   "build-node-image",
		Short: "Build the kind node image and its component images (docker-archives) from pinned inputs, offline",
		Long: `Binaries are given as --bin name=path (repeatable) or --bins-json file with {"name": "path"}.
Node: kubeadm kubelet kubectl crictl host-local loopback ptp portmap (optional: containerd ctr
containerd-shim-runc-v2 runc). Images: kube-apiserver kube-controller-manager kube-scheduler
kube-proxy etcd (etcdctl etcdutl optional) coredns pause.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if writeLock != "" {
				lock, err := nodeimage.GenerateLock(cmd.Context(), nodeimage.LockRequest{Progress: os.Stderr})
				if err != nil {
					return err
				}
				return cache.WriteFileAtomic(writeLock, lock, 0o644)
			}
			binaries, err := parseBinaryFlags(bins, binsJSON)
			if err != nil {
				return err
			}
			start := time.Now()
			res, err := nodeimage.Build(cmd.Context(), nodeimage.Options{Binaries: binaries, ComponentsOnly: componentsOnly, Progress: os.Stderr})
			if err != nil {
				return err
			}
			all := res.Components
			if res.Node != nil {
				all = append(all, *res.Node)
			}
			for _, b := range all {
				state := "built"
				if b.Cached {
					state = "cached"
				}
				fmt.Printf("%-24s %7.1f MB archive %7.1f MB layer  %-6s %6.1fs  %s  %s\n", b.Name, float64(b.Size)/1e6,
					float64(b.Uncompressed)/1e6, state, b.Duration.Seconds(), strings.Join(b.Tags, ","), b.Path)
			}
			fmt.Printf("%d packages pinned; total %.1fs\n", res.Packages, time.Since(start).Seconds())
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&bins, "bin", nil, "input binary as name=path (repeatable)")
	cmd.Flags().StringVar(&binsJSON, "bins-json", "", "JSON file mapping binary names to host paths")
	cmd.Flags().BoolVar(&componentsOnly, "components-only", false, "build only the component images whose binaries are given")
	cmd.Flags().StringVar(&writeLock, "write-lock", "", "regenerate the package lock into this file (e.g. vmimages/kind-node.lock) and exit")
	return cmd
}

func parseBinaryFlags(bins []string, jsonFile string) (map[string]string, error) {
	out := map[string]string{}
	if jsonFile != "" {
		raw, err := os.ReadFile(jsonFile)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("%s: %w", jsonFile, err)
		}
	}
	for _, b := range bins {
		name, path, ok := strings.Cut(b, "=")
		if !ok || name == "" || path == "" {
			return nil, fmt.Errorf("--bin %q: want name=path", b)
		}
		out[name] = path
	}
	return out, nil
}
