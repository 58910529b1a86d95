package kernel

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// ubuntuSite serves files the way kernel.ubuntu.com/mainline does: every
// directory has an Apache-style HTML index (with sort and parent links),
// files are plain, HEAD works. files maps paths below /mainline/.
type ubuntuSite struct {
	files map[string][]byte
	mu    sync.Mutex
	hits  []string // "GET v5.9/amd64/CHECKSUMS", in order
}

func newUbuntuSite() *ubuntuSite { return &ubuntuSite{files: map[string][]byte{}} }

func (s *ubuntuSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := strings.CutPrefix(r.URL.Path, "/mainline/")
	s.mu.Lock()
	s.hits = append(s.hits, r.Method+" "+p)
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if p == "" || strings.HasSuffix(p, "/") {
		s.index(w, r, p)
		return
	}
	data, ok := s.files[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, path.Base(p), time.Time{}, bytes.NewReader(data))
}

func (s *ubuntuSite) index(w http.ResponseWriter, r *http.Request, dir string) {
	var names []string
	for p := range s.files {
		rest, ok := strings.CutPrefix(p, dir)
		if !ok {
			continue
		}
		if i := strings.Index(rest, "/"); i >= 0 {
			rest = rest[:i+1]
		}
		if !slices.Contains(names, rest) {
			names = append(names, rest)
		}
	}
	if len(names) == 0 {
		http.NotFound(w, r)
		return
	}
	slices.Sort(names)
	title := "/mainline/" + strings.TrimSuffix(dir, "/")
	fmt.Fprintf(w, `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html>
 <head>
  <title>Index of %s</title>
 </head>
 <body>
<h1>Index of %s</h1>
  <table>
   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th></tr>
   <tr><th colspan="4"><hr></th></tr>
<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="%s">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td></tr>
`, title, title, path.Dir(title)+"/")
	for _, n := range names {
		fmt.Fprintf(w, "<tr><td valign=\"top\"><img src=\"/icons/unknown.gif\" alt=\"[   ]\"></td><td><a href=\"%s\">%s</a></td><td align=\"right\">2020-10-11 22:30  </td><td align=\"right\"> 20M</td></tr>\n", n, n)
	}
	fmt.Fprint(w, "   <tr><th colspan=\"4\"><hr></th></tr>\n</table>\n<address>Apache/2.4.29 (Ubuntu) Server at kernel.ubuntu.com Port 443</address>\n</body></html>\n")
}

func (s *ubuntuSite) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hits)
}

// writeTo lays the site out under dir, for a mirror that is a local
// directory.
func (s *ubuntuSite) writeTo(t *testing.T, dir string) {
	t.Helper()
	for p, data := range s.files {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// serveUbuntu starts s and points the Ubuntu mainline mirror at it.
func serveUbuntu(t *testing.T, s *ubuntuSite) string {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	base := srv.URL + "/mainline"
	t.Setenv(EnvUbuntuMainlineMirror, base)
	return base
}

// mainlineBuild is one fake build as Ubuntu publishes it.
type mainlineBuild struct {
	dir   string // "v5.9"
	uname string // "5.9.0-050900-generic"
	stamp string // package version "5.9.0-050900.202010112230"
	amd64 bool   // current layout: .debs under dir/amd64/
	// sumsUp puts CHECKSUMS in dir, naming files amd64/..., rather than
	// beside the .debs.
	sumsUp bool
}

// add publishes b's image and modules packages, decoys a mirror also holds
// (headers, lowlatency, another architecture), and CHECKSUMS listing sha1
// and sha256 of all of them. It returns the two packages' contents.
func (s *ubuntuSite) add(t *testing.T, b mainlineBuild) (image, modules []byte) {
	t.Helper()
	mod := "lib/modules/" + b.uname + "/"
	img := map[string][]byte{"boot/vmlinuz-" + b.uname: []byte("VMLINUZ " + b.uname)}
	mods := map[string][]byte{
		"boot/config-" + b.uname:      []byte("CONFIG_IP_VS=m\n"),
		"boot/System.map-" + b.uname:  []byte("ffff T x\n"),
		mod + "kernel/net/foo.ko":     fooKO,
		mod + "kernel/net/bar-baz.ko": barKO,
		mod + "kernel/net/unused.ko":  unusedKO,
		mod + "modules.builtin":       []byte("kernel/net/core/builtin-mod.ko\n"),
		mod + "modules.order":         []byte("kernel/net/foo.ko\n"),
	}
	image = makeDeb(t, "xz", img, sortedKeys(img))
	modules = makeDeb(t, "zst", mods, sortedKeys(mods))
	low := strings.TrimSuffix(b.uname, "-generic") + "-lowlatency"
	abi := strings.TrimSuffix(b.uname, "-generic")
	debs := map[string][]byte{
		"linux-image-unsigned-" + b.uname + "_" + b.stamp + "_amd64.deb": image,
		"linux-modules-" + b.uname + "_" + b.stamp + "_amd64.deb":        modules,
		"linux-headers-" + abi + "_" + b.stamp + "_all.deb":              []byte("decoy headers"),
		"linux-headers-" + b.uname + "_" + b.stamp + "_amd64.deb":        []byte("decoy generic headers"),
		"linux-image-unsigned-" + low + "_" + b.stamp + "_amd64.deb":     []byte("decoy lowlatency image"),
		"linux-modules-" + low + "_" + b.stamp + "_amd64.deb":            []byte("decoy lowlatency modules"),
	}
	debDir := b.dir + "/"
	if b.amd64 {
		debDir += "amd64/"
		s.files[b.dir+"/arm64/linux-image-unsigned-"+b.uname+"_"+b.stamp+"_arm64.deb"] = []byte("decoy arm64")
	} else {
		debs["linux-image-unsigned-"+b.uname+"_"+b.stamp+"_i386.deb"] = []byte("decoy i386")
	}
	var sha1s, sha256s strings.Builder
	sumsDir, prefix := debDir, ""
	if b.sumsUp {
		sumsDir, prefix = b.dir+"/", strings.TrimPrefix(debDir, b.dir+"/")
	}
	for _, name := range sortedKeys(debs) {
		s.files[debDir+name] = debs[name]
		h1 := sha1.Sum(debs[name])
		h256 := sha256.Sum256(debs[name])
		fmt.Fprintf(&sha1s, "%s  %s%s\n", hex.EncodeToString(h1[:]), prefix, name)
		fmt.Fprintf(&sha256s, "%s  %s%s\n", hex.EncodeToString(h256[:]), prefix, name)
	}
	s.files[sumsDir+"CHECKSUMS"] = []byte("# Checksums, check with the command below:\n#     shasum -c CHECKSUMS\n#\n# Checksums-Sha1:\n" +
		sha1s.String() + "#\n# Checksums-Sha256:\n" + sha256s.String())
	s.files[b.dir+"/HEADER.html"] = []byte("<p>Build for " + b.dir + "</p>")
	return image, modules
}

// build59 is Ubuntu's 5.9 build in the current layout.
func build59() mainlineBuild {
	return mainlineBuild{dir: "v5.9", uname: "5.9.0-050900-generic", stamp: "5.9.0-050900.202010112230", amd64: true}
}
