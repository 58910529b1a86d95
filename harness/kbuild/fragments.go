package kbuild

// ControlKernelFragments returns the kernels/config fragments, in merge order,
// that every control kernel uses (the catalog repeats this list; it is here so
// tests and tools agree on one order).
func ControlKernelFragments() []string {
	return []string{
		"base.config", "go-runtime.config", "printk.config", "serial.config",
		"initramfs.config", "filesystems.config", "namespaces.config", "net.config",
		"netfilter.config", "ipvs.config", "ipset.config", "nftables.config",
		"container.config", "modules.config",
	}
}
