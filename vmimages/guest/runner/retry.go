package runner

import (
	"context"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// cellRun measures one cell once; runCell in a boot, a stub in tests.
// attempt picks the client address, so a retry meets no entries its first
// attempt left in IPVS or conntrack.
type cellRun func(ctx context.Context, attempt int) (*scenario.CellResult, []byte, error)

// measure runs a cell and, when its load fell behind its schedule
// (scenario.RetryStarved, the rule the host judges by), once more in the
// same boot. The second attempt's result is kept whole with the first's
// summary in FirstAttempt. If the second attempt cannot run at all, the
// first result stands: it is judged an error for its lag. The first
// attempt's records are kept beside the result either way (<cell>.attempt1
// .records.jsonl.gz): when the load fell behind, and for how long, is in them.
func measure(ctx context.Context, run cellRun, name string, retryAttempt int, emit Emitter) (*scenario.CellResult, []byte, error) {
	res, raw, err := run(ctx, 0)
	if err != nil || !scenario.RetryStarved(res) {
		return res, raw, err
	}
	first := scenario.AsFirstAttempt(res)
	emit.Logf("cell %s: first attempt %s; measuring again", name, first.Reason)
	if gz, err := gzipBytes(raw); err == nil {
		if err := emit.File(name+".attempt1.records.jsonl.gz", gz); err != nil {
			emit.Logf("cell %s: keep the first attempt's records: %v", name, err)
		}
	}
	res2, raw2, err := run(ctx, retryAttempt)
	if err != nil {
		emit.Logf("cell %s: second attempt failed, keeping the first: %v", name, err)
		return res, raw, nil
	}
	res2.FirstAttempt = first
	return res2, raw2, nil
}
