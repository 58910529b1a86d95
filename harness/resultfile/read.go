package resultfile

import (
	"encoding/json"
	"fmt"
	"os"
)

// Read loads a result file and checks its format.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if f.Format != Format {
		return nil, fmt.Errorf("%s: format %q, this harness reads %q", path, f.Format, Format)
	}
	return &f, nil
}
