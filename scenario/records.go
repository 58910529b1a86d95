package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
)

// ParseRecords reads the load generator's JSON lines; a line that does not
// parse (a truncated file) is an error naming the line, never skipped.
func ParseRecords(raw []byte) ([]Record, error) {
	var recs []Record
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("records line %d: %w", n, err)
		}
		recs = append(recs, r)
	}
	return recs, sc.Err()
}
