package image

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// selectionVersion names the file-selection rules in this file. It is part of
// the image key: bump it whenever the rules change so cached images are rebuilt.
const selectionVersion = "base-v3"

// toolPaths are the files taken from the packages; their ELF closure follows.
var toolPaths = []string{
	"/bin/busybox",
	"/usr/sbin/xtables-nft-multi",
	"/usr/sbin/xtables-legacy-multi",
	"/usr/sbin/nft",
	"/usr/sbin/ipset",
	"/sbin/ip",
	"/usr/sbin/conntrack",
	"/sbin/ipvsadm",
	"/sbin/ipvsadm-save",
	"/sbin/ipvsadm-restore",
	"/etc/protocols",
	"/etc/services",
	"/etc/ethertypes",
}

// benchToolPaths are for `make bench-load` only: ab and the part of its
// closure the base lacks (libssl, libcrypto, apr: ~6 MB) go in a separate
// archive that benchmark appends (BenchArchive). Every byte of the base is
// unpacked by the kernel on every boot, before init can run.
var benchToolPaths = []string{"/usr/bin/ab"}

// toolGlobs are taken whole: iptables dlopen()s its extensions, so no ELF
// walk can find them; ip reads its table names from /etc/iproute2.
var toolGlobs = []string{
	"/usr/lib/x86_64-linux-gnu/xtables/*.so",
	"/etc/iproute2/*",
}

// linkDirs: packaged symlinks here that land on a picked file come along
// (iptables-nft, ip6tables-legacy-save, /sbin/ip -> /bin/ip, ...).
var linkDirs = []string{"usr/bin/", "usr/sbin/"}

// alternatives are what update-alternatives would create on Debian: the
// nft backend is bookworm's default for plain "iptables".
var alternatives = map[string]string{
	"usr/sbin/iptables":          "xtables-nft-multi",
	"usr/sbin/iptables-save":     "xtables-nft-multi",
	"usr/sbin/iptables-restore":  "xtables-nft-multi",
	"usr/sbin/ip6tables":         "xtables-nft-multi",
	"usr/sbin/ip6tables-save":    "xtables-nft-multi",
	"usr/sbin/ip6tables-restore": "xtables-nft-multi",
}

// busyboxSkip are applets not linked: real tools replace them (ip, tc), or
// they make no sense in the guest.
var busyboxSkip = []string{"busybox", "init", "linuxrc", "ip", "ipneigh", "tc", "dpkg", "dpkg-deb", "rpm", "rpm2cpio"}

// busyboxSbin are applets also linked in /usr/sbin: scripts call
// /sbin/poweroff etc. Not modprobe: the kernel runs /sbin/modprobe for
// every request_module() of its own init, before PID 1 (the crypto
// self-test of CTR-KDF asks for crypto-hmac(sha256) twice), and there the
// exec waits for the whole initramfs to be unpacked and then runs busybox
// for a module nobody needs. Without the file the request fails at once,
// as in the boot benchmark's floor; the agent links /sbin/modprobe when it
// starts (mountBasics) and loads its modules itself.
var busyboxSbin = []string{"insmod", "rmmod", "lsmod", "depmod", "modinfo", "poweroff", "reboot", "halt", "sysctl", "switch_root", "pivot_root", "ifconfig", "route", "arp", "chroot", "mdev"}

// busyboxApplets is `busybox --list` of Debian bookworm's busybox-static 1.35.
var busyboxApplets = strings.Fields(`[ [[ acpid adjtimex ar arch arp arping ascii ash awk base64 basename bc blkdiscard
blockdev brctl bunzip2 busybox bzcat bzip2 cal cat chgrp chmod chown chroot chvt clear cmp cp cpio crc32 crond
crontab cttyhack cut date dc dd deallocvt depmod devmem df diff dirname dmesg dnsdomainname dos2unix dpkg dpkg-deb
du dumpkmap dumpleases echo ed egrep env expand expr factor fallocate false fatattr fdisk fgrep find findfs fold
free freeramdisk fsfreeze fstrim ftpget ftpput getopt getty grep groups gunzip gzip halt head hexdump hostid
hostname httpd hwclock i2cdetect i2cdump i2cget i2cset i2ctransfer id ifconfig ifdown ifup init insmod ionice ip
ipcalc ipneigh kill killall klogd last less link linux32 linux64 linuxrc ln loadfont loadkmap logger login logname
logread losetup ls lsmod lsscsi lzcat lzma lzop md5sum mdev microcom mim mkdir mkdosfs mke2fs mkfifo mknod mkpasswd
mkswap mktemp modinfo modprobe more mount mt mv nameif nc netstat nl nologin nproc nsenter nslookup nuke od openvt
partprobe passwd paste patch pidof ping ping6 pivot_root poweroff printf ps pwd rdate readlink realpath reboot
renice reset resume rev rm rmdir rmmod route rpm rpm2cpio run-init run-parts sed seq setkeycodes setpriv setsid sh
sha1sum sha256sum sha3sum sha512sum shred shuf sleep sort ssl_client start-stop-daemon stat strings stty su sulogin
svc svok swapoff swapon switch_root sync sysctl syslogd tac tail tar taskset tc tee telnet telnetd test tftp time
timeout top touch tr traceroute traceroute6 true truncate ts tty tunctl ubirename udhcpc udhcpd uevent umount uname
uncompress unexpand uniq unix2dos unlink unlzma unshare unxz unzip uptime usleep uudecode uuencode vconfig vi w
watch watchdog wc wget which who whoami xargs xxd xz xzcat yes zcat`)

// generatedFiles are small configuration files written, not packaged.
var generatedFiles = map[string]string{
	"etc/nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n",
	"etc/passwd":        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	"etc/group":         "root:x:0:\nnogroup:x:65534:\n",
	"etc/hosts":         "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
}

// generatedDirs exist empty so the agent can mount onto them at once.
var generatedDirs = map[string]fs.FileMode{
	"dev": 0o755, "proc": 0o555, "sys": 0o555, "tmp": 0o1777, "run": 0o755, "run/netns": 0o755,
	"root": 0o700, "mnt": 0o755, "var": 0o755, "var/tmp": 0o1777, "etc": 0o755,
	"usr": 0o755, "usr/bin": 0o755, "usr/sbin": 0o755, "usr/lib": 0o755, "usr/lib64": 0o755,
}

// generatedLinks make merged-/usr work and give /var/run.
var generatedLinks = map[string]string{
	"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64", "var/run": "../run",
}

// selectFiles picks the tools and their closure from t and returns the image
// entries (agent as /init when non-nil) and the packages that supplied files.
func selectFiles(t debtree.Tree, agent []byte) ([]cpioEntry, []string, error) {
	s := newSelection(t)
	for _, p := range toolPaths {
		if err := s.pick(p); err != nil {
			return nil, nil, err
		}
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, g := range toolGlobs {
		pat := debtree.Canon(g)
		n := 0
		for _, k := range keys {
			if ok, _ := path.Match(pat, k); ok && t[k].Mode.Type()&fs.ModeDir == 0 {
				if err := s.pick(k); err != nil {
					return nil, nil, err
				}
				n++
			}
		}
		if n == 0 {
			return nil, nil, fmt.Errorf("no packaged file matches %s", g)
		}
	}
	for _, k := range keys {
		if t[k].Mode.Type() != fs.ModeSymlink || !hasAnyPrefix(k, linkDirs) {
			continue
		}
		if real, n, _, err := t.Resolve(k); err == nil && n != nil && s.picked[real] {
			s.picked[k] = true
		}
	}
	if err := s.closeELF(); err != nil {
		return nil, nil, err
	}

	var out []cpioEntry
	pkgs := map[string]bool{}
	for _, k := range keys {
		if !s.picked[k] {
			continue
		}
		n := t[k]
		pkgs[n.Pkg] = true
		out = append(out, cpioEntry{name: k, mode: n.Mode, data: n.Data, target: n.Target})
	}
	gen := func(e cpioEntry) {
		if !s.picked[e.name] {
			s.picked[e.name] = true
			out = append(out, e)
		}
	}
	for name, m := range generatedDirs {
		gen(cpioEntry{name: name, mode: fs.ModeDir | m})
	}
	for name, tgt := range generatedLinks {
		gen(cpioEntry{name: name, mode: fs.ModeSymlink | 0o777, target: tgt})
	}
	for name, body := range generatedFiles {
		gen(cpioEntry{name: name, mode: 0o644, data: []byte(body)})
	}
	for name, tgt := range alternatives {
		gen(cpioEntry{name: name, mode: fs.ModeSymlink | 0o777, target: tgt})
	}
	for _, a := range busyboxApplets {
		if slices.Contains(busyboxSkip, a) {
			continue
		}
		gen(cpioEntry{name: "usr/bin/" + a, mode: fs.ModeSymlink | 0o777, target: "busybox"})
		if slices.Contains(busyboxSbin, a) {
			gen(cpioEntry{name: "usr/sbin/" + a, mode: fs.ModeSymlink | 0o777, target: "../bin/busybox"})
		}
	}
	// The kernel's built-in initramfs usually has /dev/console; ship it too
	// so PID 1 has stdio even before devtmpfs is mounted.
	gen(cpioEntry{name: "dev/console", mode: fs.ModeCharDevice | fs.ModeDevice | 0o600, dev: [2]uint32{5, 1}})
	if agent != nil {
		gen(cpioEntry{name: "init", mode: 0o755, data: agent})
	}
	used := make([]string, 0, len(pkgs))
	for p := range pkgs {
		if p != "" {
			used = append(used, p)
		}
	}
	slices.Sort(used)
	return out, used, nil
}

// selectBenchFiles picks benchToolPaths with their ELF closure and returns
// what the base image (selectFiles) does not already hold.
func selectBenchFiles(t debtree.Tree) ([]cpioEntry, error) {
	base, _, err := selectFiles(t, nil)
	if err != nil {
		return nil, err
	}
	inBase := make(map[string]bool, len(base))
	for _, e := range base {
		inBase[e.name] = true
	}
	s := newSelection(t)
	for _, p := range benchToolPaths {
		if err := s.pick(p); err != nil {
			return nil, err
		}
	}
	if err := s.closeELF(); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(s.picked))
	for k := range s.picked {
		if !inBase[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []cpioEntry
	for _, k := range keys {
		n := t[k]
		out = append(out, cpioEntry{name: k, mode: n.Mode, data: n.Data, target: n.Target})
	}
	return out, nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
