package report

import "strings"

// wrapLabel breaks a cell name at its dashes into lines of about width
// characters ("ipvs-reuse0\nnodest0"), so neighbouring axis labels do not
// run into each other.
func wrapLabel(s string, width int) string {
	parts := strings.Split(s, "-")
	var lines []string
	cur := ""
	for _, p := range parts {
		switch {
		case cur == "":
			cur = p
		case len(cur)+1+len(p) <= width:
			cur += "-" + p
		default:
			lines = append(lines, cur)
			cur = p
		}
	}
	return strings.Join(append(lines, cur), "\n")
}
