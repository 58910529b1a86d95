package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/abtest"
	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/run"
)

func newCompareCommand(_ *globalFlags) *cobra.Command {
	var root string
	var failOnChange bool
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Compare two sets of results per cell: what changed and whether it is significant",
		Long: `A and B are each a kernel name (its latest results under --results), a result
directory, a result.json, or a directory of result directories. A difference is
significant when p < 0.01 and the shift is >= 20 % (Firecracker's A/B rule).`,
		Example: `  rolloutlab compare 5.10 6.1
  rolloutlab compare results/6.1/20261125T030000Z-r1 results/6.1/20261126T030000Z-r1`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := resolveSide(root, args[0])
			if err != nil {
				return err
			}
			b, err := resolveSide(root, args[1])
			if err != nil {
				return err
			}
			ccs := abtest.Compare(a, b)
			abtest.WriteCompare(os.Stdout, args[0], args[1], ccs)
			if failOnChange && abtest.AnyChanged(ccs) {
				return &exitCode{code: 3}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&root, "results", "results", "results root for kernel names")
	cmd.Flags().BoolVar(&failOnChange, "fail-on-change", false, "exit 3 when a verdict changed or a metric moved significantly")
	return cmd
}

// resolveSide: an existing path wins; otherwise the argument is a kernel
// name (or a version the catalog resolves, e.g. 6.1.176) under root.
func resolveSide(root, arg string) ([]resultfile.Run, error) {
	p := arg
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		p = filepath.Join(root, arg)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			e, rerr := run.ResolveKernel(arg, "")
			if rerr != nil {
				return nil, fmt.Errorf("%s: neither a path nor a kernel: %w", arg, rerr)
			}
			p = filepath.Join(root, e.Name)
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("no results for kernel %s under %s (run: rolloutlab matrix --run --kernels %s)", e.Name, root, e.Name)
			}
		}
	}
	runs, skipped, err := resultfile.LoadPath(p)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", arg, err)
	}
	for _, s := range skipped {
		fmt.Fprintf(os.Stderr, "ignored %s: %s\n", s.Dir, s.Reason)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("%s: no result.json under %s", arg, p)
	}
	return runs, nil
}
