package kernel

import (
	"context"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// maxIndexBytes bounds an index page or CHECKSUMS file: the real ones are
// a few KB, and a mirror answering with something huge is wrong anyway.
const maxIndexBytes = 4 << 20

// getSmall GETs a small text resource (an index page, CHECKSUMS).
func getSmall(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{Code: resp.StatusCode, Status: resp.Status}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxIndexBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(b) > maxIndexBytes {
		return nil, &answeredError{fmt.Errorf("body over %d bytes: not an index page or CHECKSUMS file", maxIndexBytes)}
	}
	return b, nil
}

// contentLength asks for u's size with HEAD; 0 when the mirror does not
// say (the GET's own Content-Length is still enforced by net/http).
func contentLength(ctx context.Context, client *http.Client, u string) int64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return 0
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0
	}
	if resp.ContentLength > 0 {
		return resp.ContentLength
	}
	// net/http's file:// transport leaves ContentLength unset on HEAD but
	// sends the header.
	n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

var hrefRE = regexp.MustCompile(`(?i)href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)

// listingEntries returns the names an HTML directory index at dirURL
// (ending in "/") links to directly below itself: "amd64/", "CHECKSUMS",
// "linux-image-...deb". Parent links, sort links (?C=N;O=D) and links
// elsewhere are dropped. Apache, nginx and Go's file server all write
// indexes this way.
func listingEntries(page []byte, dirURL string) ([]string, error) {
	base, err := url.Parse(dirURL)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range hrefRE.FindAllSubmatch(page, -1) {
		raw := string(m[1]) + string(m[2]) + string(m[3]) // one group matched
		ref, err := url.Parse(html.UnescapeString(raw))
		if err != nil {
			continue
		}
		u := base.ResolveReference(ref)
		if u.Scheme != base.Scheme || u.Host != base.Host {
			continue
		}
		name, ok := strings.CutPrefix(u.Path, base.Path)
		if !ok || name == "" || strings.Contains(strings.TrimSuffix(name, "/"), "/") || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	return out, nil
}

// parseChecksums reads a CHECKSUMS file as Ubuntu's mainline builds ship
// it: "# Checksums-Sha1:" and "# Checksums-Sha256:" sections of
// "<hex>  <file>" lines. It returns sha256 by file base name; the 40-digit
// sha1 lines are skipped.
func parseChecksums(text string) (map[string]string, error) {
	sums := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || len(f[0]) != 64 {
			continue
		}
		sum := strings.ToLower(f[0])
		if _, err := hex.DecodeString(sum); err != nil {
			return nil, fmt.Errorf("line %d: %q is not a hex sha256", i+1, f[0])
		}
		name := path.Base(strings.TrimPrefix(f[1], "*")) // "*": sha256sum's binary mode
		if old, ok := sums[name]; ok && old != sum {
			return nil, fmt.Errorf("line %d: %s listed twice with different sha256", i+1, name)
		}
		sums[name] = sum
	}
	return sums, nil
}
