// Package fetch downloads files over HTTP into a content-addressed store:
// every file is verified against its pinned size and SHA-256 before it is
// renamed into place, so a download cut in the middle or a corrupt mirror
// never poisons the cache.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolloutlab/rolloutlab/harness/cache"
)

// Item is one file to fetch. URLs are tried in order.
type Item struct {
	URLs   []string
	SHA256 string // hex, required
	Size   int64  // bytes, 0 if unknown
}

// ChecksumError reports content that did not match its pin.
type ChecksumError struct {
	URL, Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("checksum mismatch for %s: want sha256 %s, got %s", e.URL, e.Want, e.Got)
}

// Store keeps downloads under Dir/<sha256>.
type Store struct {
	Dir      string
	Client   *http.Client
	Progress io.Writer // nil: silent
}

// Path is where the verified file for sha lives.
func (s *Store) Path(sha string) string { return filepath.Join(s.Dir, strings.ToLower(sha)) }

// Get returns the path of the verified file, downloading it if needed. A file
// already in the store is re-hashed before use: a truncated or corrupted
// entry (disk full, bit rot, a killed older version) is removed and fetched again.
func (s *Store) Get(ctx context.Context, it Item) (string, error) {
	if len(it.SHA256) != 64 {
		return "", fmt.Errorf("item %v: sha256 must be 64 hex digits, got %q", it.URLs, it.SHA256)
	}
	dst := s.Path(it.SHA256)
	if err := verifyFile(dst, it); err == nil {
		return dst, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		s.logf("cached %s is bad (%v): fetching again\n", filepath.Base(dst), err)
		_ = os.Remove(dst)
	}
	unlock, err := cache.Lock(ctx, dst)
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := verifyFile(dst, it); err == nil {
		return dst, nil // fetched by a concurrent run
	}
	var errs []string
	for _, u := range it.URLs {
		err := s.download(ctx, u, dst, it)
		if err == nil {
			return dst, nil
		}
		if ctx.Err() != nil {
			return "", err
		}
		errs = append(errs, err.Error())
	}
	if len(it.URLs) == 0 {
		return "", fmt.Errorf("no URL to fetch sha256 %s from", it.SHA256)
	}
	return "", fmt.Errorf("could not fetch %s:\n  %s", filepath.Base(it.URLs[0]), strings.Join(errs, "\n  "))
}

func (s *Store) download(ctx context.Context, url, dst string, it Item) error {
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %s", url, resp.Status)
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, ".download-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	total := it.Size
	if total <= 0 {
		total = resp.ContentLength
	}
	h := sha256.New()
	pw := &progressWriter{out: s.Progress, name: filepath.Base(url), total: total, start: time.Now()}
	n, err := io.Copy(io.MultiWriter(tmp, h, pw), resp.Body)
	pw.finish()
	if err != nil {
		return fmt.Errorf("download %s (after %d bytes): %w", url, n, err)
	}
	if it.Size > 0 && n != it.Size {
		return fmt.Errorf("download %s: got %d bytes, want %d (cut short?)", url, n, it.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(it.SHA256) {
		return &ChecksumError{URL: url, Want: it.SHA256, Got: got}
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync download: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func verifyFile(path string, it Item) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if it.Size > 0 && st.Size() != it.Size {
		return fmt.Errorf("size %d, want %d", st.Size(), it.Size)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(it.SHA256) {
		return fmt.Errorf("sha256 %s, want %s", got, it.SHA256)
	}
	return nil
}

func (s *Store) logf(format string, args ...any) {
	if s.Progress != nil {
		fmt.Fprintf(s.Progress, format, args...)
	}
}

// progressWriter prints a line per ~10% and at the end, with elapsed time:
// plain lines work in CI logs as well as terminals.
type progressWriter struct {
	out      io.Writer
	name     string
	total    int64
	done     int64
	lastPct  int64
	start    time.Time
	finished bool
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.out != nil && p.total > 4<<20 { // small files: just the final line
		pct := p.done * 100 / p.total
		if pct >= p.lastPct+10 && pct < 100 {
			p.lastPct = pct - pct%10
			fmt.Fprintf(p.out, "  fetch %s: %d%% of %.1f MB (%s)\n", p.name, p.lastPct, float64(p.total)/1e6, time.Since(p.start).Round(100*time.Millisecond))
		}
	}
	return len(b), nil
}

func (p *progressWriter) finish() {
	if p.out == nil || p.finished {
		return
	}
	p.finished = true
	fmt.Fprintf(p.out, "  fetch %s: %.1f MB in %s\n", p.name, float64(p.done)/1e6, time.Since(p.start).Round(100*time.Millisecond))
}
