package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// FileSHA256 is the hex SHA-256 of a file's contents: what cache entries
// and provenance name a file by.
func FileSHA256(p string) (string, error) {
	sum, _, err := FileSHA256Size(p)
	return sum, err
}

// FileSHA256Size is FileSHA256 plus the number of bytes hashed.
func FileSHA256Size(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
