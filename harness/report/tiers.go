package report

// tierView is one tier's part of the matrix: its rows and only the
// columns those rows have, so a tier's table and heat map carry no
// columns of another tier.
type tierView struct {
	Tier    string
	Rows    []*Row
	Columns []string
}

// tierViews splits m by tier, in the rows' order, columns in m's order.
func tierViews(m *Matrix) []tierView {
	var out []tierView
	for _, t := range tiers(m) {
		v := tierView{Tier: t}
		has := map[string]bool{}
		for _, r := range m.Rows {
			if r.Tier != t {
				continue
			}
			v.Rows = append(v.Rows, r)
			for c := range r.Cells {
				has[c] = true
			}
		}
		for _, c := range m.Columns {
			if has[c] {
				v.Columns = append(v.Columns, c)
			}
		}
		out = append(out, v)
	}
	return out
}
