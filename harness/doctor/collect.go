package doctor

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// CollectOptions are the operator's overrides.
type CollectOptions struct {
	ProxyMode        scenario.ProxyMode // --proxy-mode
	KubeProxyVersion string             // --kube-proxy-version
	MetricsURL       string             // kube-proxy's metrics endpoint (loopback)
}

// DefaultMetricsURL is kube-proxy's --metrics-bind-address default.
const DefaultMetricsURL = "http://127.0.0.1:10249"

// Collect reads the node's facts. It only reads: /proc, the loopback
// metrics endpoint, `kube-proxy --version`, the distribution changelog.
func Collect(ctx context.Context, o CollectOptions) (Facts, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return Facts{}, fmt.Errorf("uname: %w", err)
	}
	f := Facts{KernelRelease: unix.ByteSliceToString(u.Release[:]), KernelVersion: unix.ByteSliceToString(u.Version[:]),
		Sysctls: readSysctls(Sysctls())}
	if b, err := os.ReadFile("/proc/version_signature"); err == nil {
		f.VersionSignature = strings.TrimSpace(string(b))
	}
	f.ProxyMode, f.ProxyModeFrom = o.ProxyMode, "--proxy-mode"
	f.KubeProxyVersion, f.KubeProxyFrom = o.KubeProxyVersion, "--kube-proxy-version"
	url := o.MetricsURL
	if url == "" {
		url = DefaultMetricsURL
	}
	if f.ProxyMode == "" {
		mode, err := metricsProxyMode(ctx, url)
		if err != nil {
			f.ProxyModeFrom = ""
			f.Notes = append(f.Notes, "proxy mode: "+err.Error())
		} else {
			f.ProxyMode, f.ProxyModeFrom = mode, url+"/proxyMode"
		}
	}
	if f.KubeProxyVersion == "" {
		f.KubeProxyVersion, f.KubeProxyFrom = kubeProxyVersion(ctx, url, &f.Notes)
	}
	f.Changelog, f.ChangelogPath = debianChangelog(f.KernelRelease, &f.Notes)
	return f, nil
}

func readSysctls(names []string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		if b, err := os.ReadFile("/proc/sys/" + n); err == nil {
			out[n] = strings.TrimSpace(string(b))
		}
	}
	return out
}

func httpGet(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	// kube-proxy's metrics port: never through a proxy from the environment.
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 4<<20))
}

func metricsProxyMode(ctx context.Context, url string) (scenario.ProxyMode, error) {
	b, err := httpGet(ctx, url+"/proxyMode")
	if err != nil {
		return "", fmt.Errorf("kube-proxy metrics endpoint: %w", err)
	}
	m := scenario.ProxyMode(strings.TrimSpace(string(b)))
	if err := m.Valid(); err != nil {
		return "", fmt.Errorf("%s/proxyMode: %w", url, err)
	}
	return m, nil
}

var (
	buildInfoRE = regexp.MustCompile(`kubernetes_build_info\{[^}]*git_version="(v[0-9][^"]*)"`)
	versionRE   = regexp.MustCompile(`Kubernetes (v[0-9]+\.[0-9]+\.[0-9]+\S*)`)
)

// kubeProxyVersion asks the metrics endpoint, then `kube-proxy --version`.
func kubeProxyVersion(ctx context.Context, url string, notes *[]string) (string, string) {
	if b, err := httpGet(ctx, url+"/metrics"); err == nil {
		if m := buildInfoRE.FindSubmatch(b); m != nil {
			return string(m[1]), url + "/metrics kubernetes_build_info"
		}
		*notes = append(*notes, "kube-proxy version: no kubernetes_build_info in "+url+"/metrics")
	}
	path, err := exec.LookPath("kube-proxy")
	if err != nil {
		*notes = append(*notes, "kube-proxy version: not on the metrics endpoint, no kube-proxy on PATH")
		return "", ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if m := versionRE.FindSubmatch(out); err == nil && m != nil {
		return string(m[1]), path + " --version"
	}
	*notes = append(*notes, fmt.Sprintf("kube-proxy version: %s --version: %v %q", path, err, out))
	return "", ""
}

// debianChangelog looks for the fixes' titles in the changelog of the
// running kernel's Debian package. Found means present; not found proves
// nothing (a changelog lists what the distribution noted).
func debianChangelog(release string, notes *[]string) (Claims, string) {
	paths, _ := filepath.Glob("/usr/share/doc/linux-image-" + release + "*/changelog.Debian.gz")
	if len(paths) == 0 {
		return nil, ""
	}
	fh, err := os.Open(paths[0])
	if err != nil {
		*notes = append(*notes, "changelog: "+err.Error())
		return nil, paths[0]
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		*notes = append(*notes, fmt.Sprintf("changelog %s: %v", paths[0], err))
		return nil, paths[0]
	}
	text, err := io.ReadAll(io.LimitReader(zr, 256<<20))
	if err != nil {
		*notes = append(*notes, fmt.Sprintf("changelog %s: %v", paths[0], err))
	}
	return ChangelogClaims(text, paths[0]), paths[0]
}

// ChangelogClaims finds each fix's title in a changelog text (a "Revert"
// line does not count).
func ChangelogClaims(text []byte, path string) Claims {
	var out Claims
	for _, ff := range FixFacts() {
		title := strings.TrimPrefix(ff.Title, "netfilter: ")
		sc := bufio.NewScanner(bytes.NewReader(text))
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, title) && !strings.Contains(strings.ToLower(line), "revert") {
				out = append(out, Claim{Fix: ff.ID, State: Present, Source: ByChangelog,
					Reason: fmt.Sprintf("%s present (%s names %q)", ff.ID, path, strings.TrimSpace(line))})
				break
			}
		}
	}
	return out
}
