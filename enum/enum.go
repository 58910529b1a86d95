// Package enum holds what every closed string set needs, on both sides of
// the VM (proxy mode, tier, run status, verdict, symptom, ...): one Valid
// with one error wording, and lists of values joined as reports print them.
package enum

import (
	"fmt"
	"slices"
	"strings"
)

// Check is nil when v is one of valid, else an error naming what was wrong
// and what would be accepted.
func Check[T ~string](what string, v T, valid []T) error {
	if slices.Contains(valid, v) {
		return nil
	}
	return fmt.Errorf("%s %q: want one of %s", what, string(v), Join(valid, ", "))
}

// Join is strings.Join for a list of typed values.
func Join[T ~string](xs []T, sep string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = string(x)
	}
	return strings.Join(parts, sep)
}
