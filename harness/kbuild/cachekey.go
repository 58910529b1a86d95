package kbuild

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
)

// cacheKeyVersion changes when the build procedure changes what a key means.
const cacheKeyVersion = "rolloutlab-kbuild-v1"

// CacheKey identifies a build result: the source tarball's sha256, the
// fragments' and patches' contents in order, and the compiler version.
// Each field is length-prefixed so that moving bytes between fields, or a
// fragment into the patch list, changes the key.
func CacheKey(sourceSHA256 string, fragments, patches [][]byte, compilerVersion string) string {
	h := sha256.New()
	field(h, []byte(cacheKeyVersion))
	field(h, []byte(sourceSHA256))
	count(h, len(fragments))
	for _, f := range fragments {
		field(h, f)
	}
	count(h, len(patches))
	for _, p := range patches {
		field(h, p)
	}
	field(h, []byte(compilerVersion))
	return hex.EncodeToString(h.Sum(nil))
}

func count(h hash.Hash, n int) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	h.Write(b[:])
}

func field(h hash.Hash, b []byte) {
	count(h, len(b))
	h.Write(b)
}
