package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/cmds"
)

// TestMain lets the test binary play the agent: pods re-exec it as "serve"
// and the client as "load", a cell side by side as CellCommand.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		if f, ok := cmds.Subcommands()[os.Args[1]]; ok {
			os.Exit(f(os.Args[2:]))
		}
		if os.Args[1] == CellCommand {
			os.Exit(CellMain(os.Args[2:]))
		}
	}
	os.Exit(m.Run())
}

type memEmitter struct {
	t       *testing.T
	mu      sync.Mutex
	results map[string]any
	files   map[string][]byte
}

func (e *memEmitter) Logf(f string, a ...any) { e.t.Logf(f, a...) }
func (e *memEmitter) CellResult(r *scenario.CellResult) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.results[r.Cell.Name] = r
	return nil
}
func (e *memEmitter) File(n string, b []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.files[n] = b
	return nil
}

// TestRunCellsHost runs the iptables and nftables cells for real. It
// rewrites the network namespace it runs in (flushes nft, adds routes), so
// it runs in a guest (ROLLOUTLAB_IN_GUEST=1: the e2e smoke boot
// boots one with this test binary, `make test` runs it), where it must not
// skip, or when asked, as root, in a throwaway namespace:
//
//	ROLLOUTLAB_GUEST_E2E=1 unshare -n go test -run TestRunCellsHost ./vmimages/guest/runner/
func TestRunCellsHost(t *testing.T) {
	switch {
	case os.Getenv("ROLLOUTLAB_IN_GUEST") == "1":
		if os.Geteuid() != 0 {
			t.Fatal("in the guest: needs root")
		}
	case os.Getenv("ROLLOUTLAB_GUEST_E2E") != "1" || os.Geteuid() != 0:
		t.Skip("runs inside a guest in make test (e2e smoke spec \"runs the guest packages' test binaries\"); on the host set ROLLOUTLAB_GUEST_E2E=1 and run as root under `unshare -n`")
	}
	// A functional check of the whole cell path, not a measurement: short
	// phases (the rollout still replaces all 3 replicas), and the two cells
	// side by side, each as a worker on a node namespace of its own, so the
	// worker path (CellCommand, the relay of its wire lines) runs here; the
	// serial path runs in every scenario boot (the e2e rollout spec).
	cells := `[{"proxy_mode":"iptables","rollout":{"readiness_delay":"300ms","termination_grace_period":"5s"},"load":{"rate":100,"warm_up":"500ms","cool_down":"1s"}},
	           {"proxy_mode":"nftables","rollout":{"readiness_delay":"300ms","termination_grace_period":"5s"},"load":{"rate":100,"warm_up":"500ms","cool_down":"1s"}}]`
	em := &memEmitter{t: t, results: map[string]any{}, files: map[string][]byte{}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	list, err := scenario.ParseCells([]byte(cells))
	if err != nil {
		t.Fatal(err)
	}
	if err := RunCells(ctx, list, Options{Parallel: 2}, em); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"iptables", "nftables"} {
		r, ok := em.results[name].(*scenario.CellResult)
		if !ok {
			t.Fatalf("no result for %s", name)
		}
		b, _ := json.MarshalIndent(struct {
			C scenario.Counts
			T scenario.Summary
			P map[string]int
		}{r.Counts, r.Total, r.PerPod}, "", " ")
		t.Logf("%s: %s", name, b)
		if r.Counts.Requests == 0 || r.Counts.Successes == 0 {
			t.Errorf("%s: no traffic got through: %+v", name, r.Counts)
		}
		if len(em.files[name+".records.jsonl.gz"]) == 0 {
			t.Errorf("%s: no records file", name)
		}
		kinds := map[scenario.EventKind]int{}
		for _, e := range r.Events {
			kinds[e.Kind]++
		}
		if kinds[scenario.EvEndpointRemoved] != 3 || kinds[scenario.EvNetnsDeleted] != 3 || kinds[scenario.EvReady] != 6 {
			t.Errorf("%s: events %v", name, kinds)
		}
		fmt.Println()
	}
}
