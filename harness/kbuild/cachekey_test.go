package kbuild

import "testing"

func TestCacheKey(t *testing.T) {
	b := func(s ...string) [][]byte {
		out := make([][]byte, len(s))
		for i, x := range s {
			out[i] = []byte(x)
		}
		return out
	}
	k := CacheKey("sha", b("f1", "f2"), b("p1"), "gcc 12")
	if len(k) != 64 {
		t.Fatalf("key %q", k)
	}
	if k != CacheKey("sha", b("f1", "f2"), b("p1"), "gcc 12") {
		t.Error("not deterministic")
	}
	differ := map[string]string{
		"source":         CacheKey("sha2", b("f1", "f2"), b("p1"), "gcc 12"),
		"fragment order": CacheKey("sha", b("f2", "f1"), b("p1"), "gcc 12"),
		"fragment text":  CacheKey("sha", b("f1", "f2x"), b("p1"), "gcc 12"),
		"boundary":       CacheKey("sha", b("f1f", "2"), b("p1"), "gcc 12"),
		"frag vs patch":  CacheKey("sha", b("f1"), b("f2", "p1"), "gcc 12"),
		"patch":          CacheKey("sha", b("f1", "f2"), b("p2"), "gcc 12"),
		"no patch":       CacheKey("sha", b("f1", "f2"), nil, "gcc 12"),
		"compiler":       CacheKey("sha", b("f1", "f2"), b("p1"), "gcc 13"),
	}
	for what, other := range differ {
		if other == k {
			t.Errorf("%s change did not change the key", what)
		}
	}
}
