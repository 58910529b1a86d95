package verdict

// Combine is the verdict over repeats: agreement wins, affected and clean
// together are Flaky, and errors only count when nothing else ran.
func Combine(statuses []Status) Status {
	var clean, affected bool
	for _, s := range statuses {
		switch s {
		case Clean:
			clean = true
		case Affected:
			affected = true
		}
	}
	switch {
	case clean && affected:
		return Flaky
	case affected:
		return Affected
	case clean:
		return Clean
	}
	return Error
}
