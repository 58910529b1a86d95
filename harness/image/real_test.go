package image

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/debtree"
)

// realImage builds the real image from the embedded lock, skipping when the
// mirror cannot be reached. $ROLLOUTLAB_CACHE, when set, keeps downloads.
func realImage(t *testing.T, agentScript string) *Image {
	t.Helper()
	if testing.Short() {
		t.Skip("downloads Debian packages")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodHead, Mirror()+"/dists/bookworm/Release", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Skipf("mirror unreachable: %v", err)
	}
	resp.Body.Close()
	dir := os.Getenv(cache.EnvDir)
	if dir == "" {
		dir = t.TempDir()
	}
	img, err := Build(context.Background(), Options{CacheDir: dir, AgentBinary: writeAgent(t, agentScript), Progress: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	if !strings.HasPrefix(string(b), "  fetch") {
		w.t.Log(strings.TrimSpace(string(b)))
	}
	return len(b), nil
}

func TestBuildReal(t *testing.T) {
	img := realImage(t, "#!/bin/sh\nexec /bin/sh\n")
	f, err := os.Open(img.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _ := readCPIO(t, f)
	t.Logf("%s: %d bytes, %d entries", img.Path, img.Size, len(got))
	// The load benchmark's archive goes after the base: ab and what of its
	// closure the base lacks, nothing the base has. The checks below see both.
	benchPath, err := BenchArchive(context.Background(), Options{CacheDir: filepath.Dir(filepath.Dir(filepath.Dir(img.Path)))})
	if err != nil {
		t.Fatal(err)
	}
	bf, err := os.Open(benchPath)
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Close()
	bench, _ := readCPIO(t, bf)
	if _, ok := bench["usr/bin/ab"]; !ok {
		t.Errorf("%s lacks usr/bin/ab", benchPath)
	}
	for name, e := range bench {
		if _, dup := got[name]; dup && e.mode&0o170000 != 0o040000 {
			t.Errorf("bench archive repeats the base's %s", name)
		}
		got[name] = e
	}
	if _, ok := got["usr/bin/ab"]; ok && len(bench) < 3 {
		t.Errorf("bench archive has %d entries: ab's libraries missing?", len(bench))
	}

	// An independent view of the archive: resolve paths through its own symlinks.
	tr := debtree.Tree{}
	for name, e := range got {
		switch {
		case e.mode&0o170000 == 0o120000:
			tr[name] = link(e.body)
		case e.mode&0o170000 == 0o040000:
			tr[name] = &debtree.Node{Mode: os.ModeDir | 0o755}
		default:
			tr[name] = file([]byte(e.body))
		}
	}
	for _, p := range []string{"/init", "/bin/sh", "/sbin/ip", "/usr/sbin/ip", "/usr/sbin/ipvsadm", "/usr/sbin/nft", "/usr/sbin/iptables",
		"/usr/sbin/ip6tables-restore", "/usr/sbin/iptables-legacy-save", "/usr/sbin/ipset", "/usr/sbin/conntrack", "/usr/bin/ab",
		"/lib64/ld-linux-x86-64.so.2", "/usr/bin/modprobe", "/usr/bin/nsenter", "/etc/protocols", "/etc/services",
		"/usr/lib/x86_64-linux-gnu/xtables/libxt_MASQUERADE.so", "/var/run/netns"} {
		if _, n, _, err := tr.Resolve(p); err != nil || n == nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	// Every ELF's interpreter and NEEDED libraries are in the archive.
	elves := 0
	for name, n := range tr {
		if !n.Mode.IsRegular() || !isELF(n.Data) {
			continue
		}
		elves++
		ef, err := elf.NewFile(bytes.NewReader(n.Data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		libs, _ := ef.ImportedLibraries()
		for _, lib := range libs {
			found := false
			for _, dir := range libDirs {
				if _, n, _, err := tr.Resolve(path.Join(dir, lib)); err == nil && n != nil {
					found = true
				}
			}
			if !found {
				t.Errorf("%s needs %s: not in the image", name, lib)
			}
		}
		if d, _ := readELFDeps(name, n.Data); d.interp != "" {
			if _, n, _, err := tr.Resolve(d.interp); err != nil || n == nil {
				t.Errorf("%s: interpreter %s missing", name, d.interp)
			}
		}
	}
	if elves < 100 {
		t.Errorf("only %d ELF files: xtables extensions missing?", elves)
	}

	start := time.Now()
	again, err := Build(context.Background(), Options{CacheDir: filepath.Dir(filepath.Dir(filepath.Dir(img.Path))), AgentBinary: writeAgent(t, "#!/bin/sh\nexec /bin/sh\n")})
	if err != nil || again.SHA256 != img.SHA256 {
		t.Fatalf("cached build: %v %+v", err, again)
	}
	t.Logf("cached Build: %s", time.Since(start))
}

// bootScript is a throwaway /init proving each tool starts: a missing library
// shows as "error while loading shared libraries" or "not found".
const bootScript = `#!/bin/sh
export PATH=/usr/sbin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo "@@pid1 $(cut -d' ' -f1 /proc/uptime)"
[ -d /lib/modules ] && for m in nf_tables nft_compat nft_chain_nat xt_MASQUERADE iptable_nat ip_vs ip_vs_rr ip_set_hash_ip nf_conntrack_netlink; do modprobe $m; done
for c in "iptables -V" "iptables-legacy -V" "ip6tables -V" "iptables-save -V" "nft -v" "ipset -v" "ipvsadm -v" "conntrack -V" "/sbin/ip -V" "/usr/sbin/ip -V" "ab -V"; do
  out=$($c 2>&1); echo "@@tool rc=$? $c: $(echo "$out" | head -1)"
done
echo "@@done"
poweroff -f
`

// TestBootTools boots the real image under QEMU (TCG) when
// ROLLOUTLAB_TEST_KERNEL names a bzImage. With ROLLOUTLAB_TEST_MODULES (a
// directory holding lib/modules/<release>/ with modules.dep) every tool must
// also succeed; without it only library loading is checked.
func TestBootTools(t *testing.T) {
	kernel := os.Getenv("ROLLOUTLAB_TEST_KERNEL")
	if kernel == "" {
		t.Skip("set ROLLOUTLAB_TEST_KERNEL to a kernel image to boot")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("no qemu-system-x86_64")
	}
	img := realImage(t, bootScript)
	initrd, err := os.ReadFile(img.Path)
	if err != nil {
		t.Fatal(err)
	}
	modules := os.Getenv("ROLLOUTLAB_TEST_MODULES")
	if modules != "" {
		files := map[string][]byte{}
		err := filepath.WalkDir(modules, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(modules, p)
			files["/"+rel] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		mods, err := RequestArchive(files)
		if err != nil {
			t.Fatal(err)
		}
		// The kernel only finds an uncompressed archive that starts 4-byte
		// aligned within the initrd; zeros in between are skipped.
		for len(initrd)%4 != 0 {
			initrd = append(initrd, 0)
		}
		initrd = append(initrd, mods...)
	}
	rd := filepath.Join(t.TempDir(), "initrd")
	os.WriteFile(rd, initrd, 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, "-accel", "tcg", "-m", "1024", "-nographic", "-no-reboot", "-nic", "none",
		"-kernel", kernel, "-initrd", rd, "-append", "console=ttyS0 rdinit=/init panic=-1 quiet")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cancel() // kills QEMU if the guest hangs
	done := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "@@"); i >= 0 {
			line = line[i:]
		} else {
			continue
		}
		switch {
		case strings.HasPrefix(line, "@@pid1"):
			t.Logf("PID 1 after %s host time (guest uptime %s s)", time.Since(start).Round(10*time.Millisecond), strings.TrimPrefix(line, "@@pid1 "))
		case strings.HasPrefix(line, "@@tool"):
			t.Log(line)
			if strings.Contains(line, "error while loading shared libraries") || strings.Contains(line, "not found") ||
				(modules != "" && !strings.HasPrefix(line, "@@tool rc=0 ")) {
				t.Errorf("tool failed: %s", line)
			}
		case line == "@@done":
			done = true
		}
	}
	io.Copy(io.Discard, out)
	if !done {
		t.Fatal("guest did not finish the tool checks")
	}
}
