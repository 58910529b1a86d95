package resultfile

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// ReadRecords reads a cell's raw records (gzip'd JSON lines).
func ReadRecords(path string) ([]scenario.Record, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		return nil, fmt.Errorf("records %s: %w", path, err)
	}
	var out []scenario.Record
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r scenario.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("records %s: %w", path, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("records %s: %w", path, err)
	}
	return out, nil
}
