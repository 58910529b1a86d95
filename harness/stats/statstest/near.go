// Package statstest holds the tests' comparison of computed statistics
// with reference values.
package statstest

import (
	"math"
	"testing"
)

// Near fails t unless got is within tol of want.
func Near(t testing.TB, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f (±%g)", what, got, want, tol)
	}
}
