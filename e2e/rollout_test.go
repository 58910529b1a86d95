package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/rolloutlab/rolloutlab/harness/resultfile"
	"github.com/rolloutlab/rolloutlab/harness/run"
	"github.com/rolloutlab/rolloutlab/harness/verdict"
	"github.com/rolloutlab/rolloutlab/scenario"
)

// rolloutCells are the cells the rollout specs drive: $CELLS (the same
// syntax as `rolloutlab scenario --cells`), default every proxy mode and
// conn_reuse_mode plus the controls. They are parsed while the spec tree is
// built, so a bad value fails before anything boots.
var rolloutCells = func() []scenario.Cell {
	spec := os.Getenv("CELLS")
	if spec == "" {
		spec = "default,controls"
	}
	cells, err := scenario.ParseSpecs(spec)
	if err != nil {
		panic(fmt.Sprintf("CELLS=%q: %v", spec, err))
	}
	return cells
}()

// resultDir is where the rollout's result.json and raw records go: $OUT, or
// out/results/<kernel>/<time> in the checkout (ignored by git; `make matrix`
// writes the committed results/).
func resultDir(kernelName string) string {
	if out := os.Getenv("OUT"); out != "" {
		return out
	}
	root, err := run.ModuleRoot()
	Expect(err).NotTo(HaveOccurred())
	return filepath.Join(root, "out", "results", kernelName, time.Now().UTC().Format("20060102T150405Z"))
}

var _ = Describe("rollout", Label("rollout"), Ordered, ContinueOnFailure, func() {
	// One guest runs every cell in order (boots are the slow part under
	// TCG); each cell is then judged by its own spec.
	var file *resultfile.File
	byName := map[string]*resultfile.Cell{}

	BeforeAll(func(ctx SpecContext) {
		kenv, _, err := env.ForCells(ctx, rolloutCells)
		Expect(err).NotTo(HaveOccurred())
		f, path, err := kenv.Scenario(ctx, rolloutCells, resultDir(env.Kernel.Entry.Name))
		if path != "" {
			AddReportEntry("result", path)
			GinkgoWriter.Printf("result: %s\n", path)
		}
		Expect(err).NotTo(HaveOccurred(), "scenario boot failed (status %s)", statusOf(f))
		file = f
		for i := range f.Cells {
			byName[f.Cells[i].Name] = &f.Cells[i]
		}
	}, NodeTimeout(60*time.Minute))

	for _, asked := range rolloutCells {
		It(asked.Name+": behaves as the kernel's IPVS fixes predict", func() {
			c := byName[asked.Name]
			Expect(c).NotTo(BeNil(), "no result for cell %s", asked.Name)
			if verdict.Starved(c.Result) && os.Getenv("ROLLOUTLAB_REQUIRE_MEASURED") == "" {
				// Not a verdict on the kernel either way: this host could not
				// generate the load (e.g. a heavy kernel under TCG on 2 cores).
				// `make test` sets ROLLOUTLAB_REQUIRE_MEASURED: CI must measure.
				Skip("not measurable on this host: " + strings.Join(c.Verdict.Reasons, "; "))
			}
			Expect(c.Verdict.Status).NotTo(Equal(verdict.Error), "cell could not be judged: %s", strings.Join(c.Verdict.Reasons, "; "))
			r := c.Result

			By("the rollout really happened under load")
			Expect(r.Counts.Requests).To(BeNumerically(">=", 100), "too few requests to judge")
			Expect(eventPods(r, scenario.EvEndpointRemoved)).To(HaveLen(r.Cell.Rollout.Replicas), "every old pod must leave the endpoints")
			Expect(newPodsAnswered(r)).To(BeNumerically(">", 0), "no request reached a new pod")

			By("the symptoms are the ones the fixes in this kernel predict")
			expectPredictedSymptoms(file, c)
		})
	}
})

// expectPredictedSymptoms holds a cell to what the IPVS fixes of the
// kernel predict (verdict.Expect); with unknown provenance, to what a
// correct kernel does: no symptom.
func expectPredictedSymptoms(f *resultfile.File, c *resultfile.Cell) {
	want, known := verdict.Expect(c.Result, f.Kernel.Fixes)
	if !known {
		want.Symptoms = nil
	}
	reasons := strings.Join(c.Verdict.Reasons, "; ")
	AddReportEntry(c.Name, fmt.Sprintf("%s %v: %s | expected %v: %s", c.Verdict.Status, c.Verdict.Symptoms, reasons, want.Symptoms, want.Why))
	got := slices.Clone(c.Verdict.Symptoms)
	slices.Sort(got)
	slices.Sort(want.Symptoms)
	Expect(got).To(Equal(want.Symptoms),
		"kernel %s (fixes %s), cell %s: measured %v (%s); expected %v because %s",
		f.Kernel.Name, f.Kernel.Fixes.String(), c.Name, got, reasons, want.Symptoms, want.Why)
}

func statusOf(f *resultfile.File) string {
	if f == nil {
		return "no result"
	}
	return f.Status.String() + ": " + f.Error
}

func eventPods(r *scenario.CellResult, kind scenario.EventKind) []string {
	var pods []string
	for _, e := range r.Events {
		if e.Kind == kind && !slices.Contains(pods, e.Pod) {
			pods = append(pods, e.Pod)
		}
	}
	return pods
}

// newPodsAnswered counts answers from pods the rollout created.
func newPodsAnswered(r *scenario.CellResult) int {
	n := 0
	old := eventPods(r, scenario.EvEndpointRemoved)
	for pod, count := range r.PerPod {
		if !slices.Contains(old, pod) {
			n += count
		}
	}
	return n
}
