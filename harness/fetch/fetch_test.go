package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

func serve(t *testing.T, body []byte) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func TestGetVerifiesAndCaches(t *testing.T) {
	body := []byte(strings.Repeat("kernel bytes ", 1000))
	srv, hits := serve(t, body)
	s := &Store{Dir: t.TempDir()}
	it := Item{URLs: []string{srv.URL + "/missing", srv.URL + "/k.deb"}, SHA256: sum(body), Size: int64(len(body))}
	p, err := s.Get(context.Background(), it)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != string(body) {
		t.Fatal("content differs")
	}
	n := hits.Load()
	if _, err := s.Get(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != n {
		t.Errorf("second Get downloaded again (%d -> %d requests)", n, hits.Load())
	}
}

func TestTruncatedCacheIsRefetched(t *testing.T) {
	body := []byte(strings.Repeat("x", 4096))
	srv, hits := serve(t, body)
	s := &Store{Dir: t.TempDir()}
	it := Item{URLs: []string{srv.URL + "/k"}, SHA256: sum(body), Size: int64(len(body))}
	// A download killed halfway by an older version left a short file.
	os.WriteFile(s.Path(it.SHA256), body[:100], 0o644)
	p, err := s.Get(context.Background(), it)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Size() != int64(len(body)) || hits.Load() != 1 {
		t.Errorf("size %d hits %d: truncated entry not replaced", st.Size(), hits.Load())
	}
}

func TestChecksumMismatchLeavesNothing(t *testing.T) {
	srv, _ := serve(t, []byte("evil mirror"))
	s := &Store{Dir: t.TempDir()}
	want := sum([]byte("good"))
	_, err := s.Get(context.Background(), Item{URLs: []string{srv.URL + "/k"}, SHA256: want})
	var ce *ChecksumError
	if !errors.As(err, &ce) && !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("want checksum error, got %v", err)
	}
	ents, _ := os.ReadDir(s.Dir)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".lock") {
			t.Errorf("left %s behind", e.Name())
		}
	}
}

func TestSizeMismatchAndBadPin(t *testing.T) {
	body := []byte("short")
	srv, _ := serve(t, body)
	s := &Store{Dir: t.TempDir()}
	if _, err := s.Get(context.Background(), Item{URLs: []string{srv.URL}, SHA256: sum(body), Size: 99}); err == nil || !strings.Contains(err.Error(), "want 99") {
		t.Errorf("size mismatch: %v", err)
	}
	if _, err := s.Get(context.Background(), Item{URLs: []string{srv.URL}, SHA256: "abc"}); err == nil || !strings.Contains(err.Error(), "64 hex") {
		t.Errorf("bad pin: %v", err)
	}
}
