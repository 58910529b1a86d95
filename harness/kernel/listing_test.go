package kernel

import (
	"reflect"
	"strings"
	"testing"
)

func TestListingEntries(t *testing.T) {
	const dir = "https://kernel.ubuntu.com/mainline/v5.9/"
	tests := []struct {
		name, page string
		want       []string
	}{
		{"apache", `<table><tr><th><a href="?C=N;O=D">Name</a></th></tr>
<tr><td><a href="/mainline/">Parent Directory</a></td></tr>
<tr><td><a href="amd64/">amd64/</a></td></tr><tr><td><a href="arm64/">arm64/</a></td></tr>
<tr><td><a href="CHECKSUMS">CHECKSUMS</a></td></tr><tr><td><a href="HEADER.html">HEADER.html</a></td></tr></table>`,
			[]string{"amd64/", "arm64/", "CHECKSUMS", "HEADER.html"}},
		{"go file server and entities", "<pre>\n<a href=\"linux-image-unsigned-5.9.0-050900-generic_5.9.0-050900.202010112230_amd64.deb\">x</a>\n<a href='a%2Bb.deb'>a+b</a>\n<a href=\"q.deb?x=1&amp;y=2\">q</a>\n</pre>",
			[]string{"linux-image-unsigned-5.9.0-050900-generic_5.9.0-050900.202010112230_amd64.deb", "a+b.deb", "q.deb"}},
		{"absolute, elsewhere, deeper, duplicate", `<a href="https://kernel.ubuntu.com/mainline/v5.9/CHECKSUMS">1</a>
<a href="https://example.org/mainline/v5.9/evil.deb">2</a> <a href="amd64/sub/x.deb">3</a> <a href=../v5.8/>4</a>
<a HREF=CHECKSUMS>5</a> <a href="#top">6</a>`,
			[]string{"CHECKSUMS"}},
	}
	for _, tt := range tests {
		got, err := listingEntries([]byte(tt.page), dir)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestParseChecksums(t *testing.T) {
	a, b := strings.Repeat("a", 64), strings.Repeat("B", 64)
	text := "# Checksums-Sha1:\n" + strings.Repeat("1", 40) + "  x.deb\n# Checksums-Sha256:\n" +
		a + "  x.deb\n" + b + " *amd64/y.deb\n\n"
	got, err := parseChecksums(text)
	if err != nil || !reflect.DeepEqual(got, map[string]string{"x.deb": a, "y.deb": strings.ToLower(b)}) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := parseChecksums(a + "  x.deb\n" + strings.Repeat("c", 64) + "  x.deb\n"); err == nil || !strings.Contains(err.Error(), "x.deb listed twice") {
		t.Errorf("conflict: %v", err)
	}
	if _, err := parseChecksums(strings.Repeat("z", 64) + "  x.deb\n"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad hex: %v", err)
	}
}

func TestPickMainlineDebs(t *testing.T) {
	v, _ := parseVersion("4.14")
	// Before the unsigned split: linux-image-<uname> holds the modules.
	names := []string{"linux-headers-4.14.0-041400_4.14.0-041400.201711122031_all.deb",
		"linux-image-4.14.0-041400-generic_4.14.0-041400.201711122031_i386.deb",
		"linux-image-4.14.0-041400-generic_4.14.0-041400.201711122031_amd64.deb",
		"linux-image-4.14.0-041400-lowlatency_4.14.0-041400.201711122031_amd64.deb"}
	debs, uname, err := pickMainlineDebs(names, v)
	if err != nil || uname != "4.14.0-041400-generic" || len(debs) != 1 || debs[0].file != names[2] {
		t.Errorf("got %+v %q %v", debs, uname, err)
	}
	two := []string{"linux-image-unsigned-4.14.0-041400-generic_1_amd64.deb", "linux-image-unsigned-4.14.0-041401-generic_2_amd64.deb"}
	if _, _, err := pickMainlineDebs(two, v); err == nil || !strings.Contains(err.Error(), "several builds") {
		t.Errorf("two builds: %v", err)
	}
}
