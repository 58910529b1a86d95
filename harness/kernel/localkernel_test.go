package kernel

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/kbuild"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// fakeBzImage has a setup header whose version string says version.
func fakeBzImage(version string) []byte {
	img := make([]byte, 0x400)
	copy(img[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(img[0x20e:], 0x300-0x200)
	copy(img[0x300:], version+"\x00")
	return append(img, []byte("compressed kernel")...)
}

func TestBzImageVersion(t *testing.T) {
	v, err := BzImageVersion(fakeBzImage("5.10.223-dirty (dev@box) #3 SMP"))
	if err != nil || v != "5.10.223-dirty (dev@box) #3 SMP" {
		t.Errorf("%q %v", v, err)
	}
	for _, bad := range [][]byte{[]byte("ELF"), make([]byte, 0x400)} {
		if _, err := BzImageVersion(bad); err == nil {
			t.Error("want an error for a file that is no bzImage")
		}
	}
	if releaseOf("5.10.223-dirty") != "5.10.223" || releaseOf("6.13.0-rc2+") != "6.13.0" {
		t.Error("releaseOf")
	}
}

// fullConfig is every y option of the local fragments, as a .config.
func fullConfig(t *testing.T, c *Catalog) *kbuild.Config {
	t.Helper()
	frag, err := c.LocalFragment()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := kbuild.ParseConfig("fragment", frag)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fakeTree is a built tree: Makefile, Kconfig defining every symbol of
// cfg, a bzImage, the IPVS sources DetectFixes reads (fixes A, B and C).
func fakeTree(t *testing.T, cfg *kbuild.Config, release string) string {
	t.Helper()
	dir := t.TempDir()
	var kconfig strings.Builder
	for _, o := range cfg.Options() {
		kconfig.WriteString("config " + strings.TrimPrefix(o.Name, "CONFIG_") + "\n\tbool\n")
	}
	writeTestFile(t, filepath.Join(dir, "Makefile"), "VERSION = 5\n")
	writeTestFile(t, filepath.Join(dir, "net", "Kconfig"), kconfig.String())
	writeTestFile(t, filepath.Join(dir, "Kconfig"), "source \"net/Kconfig\"\n")
	writeTestFile(t, filepath.Join(dir, ".config"), cfg.Render())
	writeTestFile(t, filepath.Join(dir, "include", "config", "kernel.release"), release+"\n")
	writeTestFile(t, filepath.Join(dir, "include", "net", "ip_vs.h"),
		"static inline bool ip_vs_conn_uses_old_conntrack(struct ip_vs_conn *cp, struct sk_buff *skb)\n{\n\treturn ct && nf_ct_is_confirmed(ct);\n}\n")
	writeTestFile(t, filepath.Join(dir, "net", "netfilter", "ipvs", "ip_vs_core.c"),
		"static unsigned int\nip_vs_in(struct netns_ipvs *ipvs, unsigned int hooknum)\n{\n\tif (!iph.fragoffs && is_new_conn(skb, &iph) && cp) {\n\t}\n}\n")
	writeTestFile(t, filepath.Join(dir, "net", "netfilter", "ipvs", "ip_vs_conn.c"), "void expire_nodest_conn_work(void) {}\n")
	// built after its sources, as make leaves it
	writeTestFile(t, filepath.Join(dir, "arch", "x86", "boot", "bzImage"), string(fakeBzImage(release+" (dev@box) #1")))
	return dir
}

func TestLocalEntryTree(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := fullConfig(t, c)
	cfg.Set("CONFIG_MODULES", "n")
	dir := fakeTree(t, cfg, "5.10.223-dirty")
	e, err := c.LocalEntry(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e.Source != SourceLocal || e.UnameR != "5.10.223-dirty" || e.Release != "5.10.223" || !strings.HasPrefix(e.Name, "local-") {
		t.Errorf("entry %+v", e)
	}
	want := scenario.FixSet{scenario.FixA: true, scenario.FixB: true, scenario.FixC: true}
	if e.Fixes.String() != want.String() || !strings.Contains(e.FixesSource, dir) {
		t.Errorf("fixes %s (%s)", e.Fixes, e.FixesSource)
	}
	key := Key(e)
	// Rebuilding (a new bzImage) is a new kernel.
	writeTestFile(t, filepath.Join(dir, "arch", "x86", "boot", "bzImage"), string(fakeBzImage("5.10.223-dirty (dev@box) #2")))
	if e2, _ := c.LocalEntry(dir); Key(e2) == key || e2.Name == e.Name {
		t.Error("a rebuilt bzImage must change key and name")
	}

	// Prepare copies, never moves, the user's files.
	p, err := Prepare(context.Background(), e, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "arch", "x86", "boot", "bzImage")); err != nil {
		t.Errorf("the user's bzImage is gone: %v", err)
	}
	if b, _ := os.ReadFile(p.Config); !strings.Contains(string(b), "CONFIG_IP_VS=y") || p.UnameR != "5.10.223-dirty" {
		t.Errorf("config %d bytes, uname %s", len(b), p.UnameR)
	}

	// IPVS code changed after the build (a checkout): the bzImage would be
	// credited with the new code's fixes, so it is refused.
	core := filepath.Join(dir, "net", "netfilter", "ipvs", "ip_vs_core.c")
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(core, future, future); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LocalEntry(dir); err == nil || !strings.Contains(err.Error(), "ip_vs_core.c is newer") {
		t.Errorf("IPVS source newer than the bzImage: %v", err)
	}
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(core, past, past); err != nil {
		t.Fatal(err)
	}

	// A stale bzImage (the tree says another release) is refused.
	writeTestFile(t, filepath.Join(dir, "include", "config", "kernel.release"), "5.10.224\n")
	if _, err := c.LocalEntry(dir); err == nil || !strings.Contains(err.Error(), "stale") {
		t.Errorf("stale bzImage: %v", err)
	}
}

func TestLocalEntryMissingOptions(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := fullConfig(t, c)
	cfg.Set("CONFIG_IP_VS_NFCT", "n")
	cfg.Set("CONFIG_IP_VS_SH", "m") // fine only with modules
	cfg.Set("CONFIG_MODULES", "n")
	dir := fakeTree(t, cfg, "6.1.0")
	// An option this tree's Kconfig does not define is not asked for.
	kc, _ := os.ReadFile(filepath.Join(dir, "net", "Kconfig"))
	writeTestFile(t, filepath.Join(dir, "net", "Kconfig"), strings.Replace(string(kc), "config IP_SET\n", "config IP_SET_RENAMED\n", 1))
	cfgText, _ := os.ReadFile(filepath.Join(dir, ".config"))
	writeTestFile(t, filepath.Join(dir, ".config"), strings.Replace(string(cfgText), "CONFIG_IP_SET=y\n", "", 1))

	_, err = c.LocalEntry(dir)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ConfigError, got %v", err)
	}
	var names []string
	for _, m := range ce.Missing {
		names = append(names, m.Name+"@"+m.Fragment)
	}
	if got := strings.Join(names, " "); got != "CONFIG_IP_VS_SH@ipvs.config CONFIG_IP_VS_NFCT@ipvs.config" {
		t.Errorf("missing: %s", got)
	}
	for _, want := range []string{"CONFIG_IP_VS_NFCT=y (is n; from ipvs.config)", "rolloutlab kconfig-fragment", "merge_config.sh"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// With modules, =m is accepted.
	cfg.Set("CONFIG_MODULES", "y")
	cfg.Set("CONFIG_IP_VS_NFCT", "y")
	writeTestFile(t, filepath.Join(dir, ".config"), cfg.Render())
	if err := c.CheckLocalConfig(filepath.Join(dir, ".config"), ""); err != nil {
		t.Errorf("=m with CONFIG_MODULES=y: %v", err)
	}
}

func TestLocalEntryBareBzImage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "bzImage")
	writeTestFile(t, f, string(fakeBzImage("6.6.0-rc1 (dev@box)")))
	e, err := c.LocalEntry(f)
	if err != nil {
		t.Fatal(err)
	}
	if e.Fixes != nil || !strings.Contains(e.FixesSource, "unknown") || e.UnameR != "6.6.0-rc1" || e.Local.Tree() {
		t.Errorf("entry %+v", e)
	}
	p, err := Prepare(context.Background(), e, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Builtin) == 0 || len(p.Missing) != 0 {
		t.Errorf("bare bzImage modules: builtin %v missing %v", p.Builtin, p.Missing)
	}
	if _, err := c.LocalEntry(filepath.Join(t.TempDir(), "nope")); err == nil || !strings.Contains(err.Error(), "built kernel tree or a bzImage") {
		t.Errorf("missing path: %v", err)
	}
	if !IsLocalKernel("./linux") || !IsLocalKernel("/src/linux") || IsLocalKernel("5.10-revert-C") || IsLocalKernel("6.1") {
		t.Error("IsLocalKernel")
	}
}
