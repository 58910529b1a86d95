package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// ParseRecords reads the load generator's JSON lines; a line that does not
// parse (a truncated file) is an error naming the line, never skipped.
// Lines as Record.AppendJSON writes them are read without reflection
// (parseRecordLine), a third of a cell's analysis under TCG before;
// anything else goes through encoding/json, which decides.
func ParseRecords(raw []byte) ([]Record, error) {
	recs := make([]Record, 0, bytes.Count(raw, []byte{'\n'})+1)
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		r, ok := parseRecordLine(sc.Bytes())
		if !ok {
			r = Record{}
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				return nil, fmt.Errorf("records line %d: %w", n, err)
			}
		}
		recs = append(recs, r)
	}
	return recs, sc.Err()
}

// parseRecordLine reads the one shape AppendJSON writes: an object with no
// whitespace, integer values without leading zeros or exponents, strings
// of printable ASCII without escapes, keys from Record's tags. It reports
// false for anything else, and then encoding/json must read the line.
func parseRecordLine(l []byte) (Record, bool) {
	var r Record
	if len(l) < 2 || l[0] != '{' || l[len(l)-1] != '}' {
		return r, false
	}
	l = l[1 : len(l)-1]
	for len(l) > 0 {
		if l[0] != '"' {
			return r, false
		}
		end := bytes.IndexByte(l[1:], '"')
		if end < 0 || len(l) < end+3 || l[end+2] != ':' {
			return r, false
		}
		key := string(l[1 : end+1])
		l = l[end+3:]
		val, rest, ok := nextValue(l)
		if !ok {
			return r, false
		}
		l = rest
		if !setField(&r, key, val) {
			return r, false
		}
	}
	return r, true
}

// nextValue splits off one value and the comma after it.
func nextValue(l []byte) (val, rest []byte, ok bool) {
	end := 0
	if len(l) > 0 && l[0] == '"' {
		q := bytes.IndexByte(l[1:], '"')
		if q < 0 {
			return nil, nil, false
		}
		end = q + 2
	} else if end = bytes.IndexByte(l, ','); end < 0 {
		return l, nil, true
	}
	switch {
	case end == len(l):
		return l, nil, true
	case l[end] != ',' || end == len(l)-1: // junk after a string, or a trailing comma
		return nil, nil, false
	}
	return l[:end], l[end+1:], true
}

func setField(r *Record, key string, v []byte) bool {
	switch key {
	case "n", "i", "s", "c", "t", "lp":
		n, ok := plainInt(v)
		if !ok {
			return false
		}
		switch key {
		case "n":
			r.Seq = n
		case "i":
			r.Intended = n
		case "s":
			r.Start = n
		case "c":
			r.Connect = n
		case "t":
			r.Total = n
		default:
			if int64(int(n)) != n {
				return false
			}
			r.LocalPort = int(n)
		}
	case "p", "e", "ph", "en":
		s, ok := plainString(v)
		if !ok {
			return false
		}
		switch key {
		case "p":
			r.Pod = s
		case "e":
			r.Err = ErrorClass(s)
		case "ph":
			r.Phase = s
		default:
			r.Errno = s
		}
	default:
		return false
	}
	return true
}

// plainInt: -?(0|[1-9][0-9]*) that fits an int64.
func plainInt(v []byte) (int64, bool) {
	d := v
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || (d[0] == '0' && len(d) > 1) {
		return 0, false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
}

// plainString: a quoted run of printable ASCII without '"' or '\'.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	for _, c := range v[1 : len(v)-1] {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(v[1 : len(v)-1]), true
}
