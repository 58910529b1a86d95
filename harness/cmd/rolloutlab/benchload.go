package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/run"
)

// loadBenchScript sets up one Service the way iptables mode does (a DNAT
// from the VIP to a pod address on a dummy link, so conntrack is engaged),
// then drives it for the same time and concurrency with the scenario's
// load generator and with Debian's ab. All traffic stays in the guest.
const loadBenchScript = `set -e
/sbin/ip link set lo up
/sbin/ip link add pod0 type dummy
/sbin/ip link set pod0 up
/sbin/ip addr add 10.244.0.5/32 dev pod0
# The route a node's default route would give; DNAT in OUTPUT comes after routing.
/sbin/ip route add 10.96.0.0/16 dev pod0
iptables -t nat -A OUTPUT -d 10.96.0.10/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.0.5:8080
# ab gets its own Service port: connect() needs a free 4-tuple, and after a
# fast generator run the TIME_WAIT entries toward :80 hold most even
# ephemeral ports for 60 s (on a 597 conn/s machine ab then failed with
# EADDRNOTAVAIL and printed no summary). Same pod, same DNAT path.
iptables -t nat -A OUTPUT -d 10.96.0.10/32 -p tcp --dport 81 -j DNAT --to-destination 10.244.0.5:8080
# The server must not hold the script's stdout open, or exec waits for it.
/init serve --name bench --port 8080 >/dev/null 2>&1 &
server=$!
sleep 0.5
/init load --config '{"target":"10.96.0.10:80","closed_loop":true,"concurrency":%[1]d,"port_range":"32768 60999","timeout":"3s","max_duration":"%[2]ds","out":"/tmp/load.jsonl"}'
# Its span: first intended start to last answer, as ab times its own run.
span=$(awk -F'[:,{}]' '{for(k=1;k<NF;k++){if($k=="\"i\"")I=$(k+1); if($k=="\"t\"")T=$(k+1)} if(min==""||I<min)min=I; if(I+T>max)max=I+T} END{printf "%%.3f", (max-min)/1e9}' /tmp/load.jsonl)
echo "LOAD ok=$(grep -c '"p":' /tmp/load.jsonl || true) failed=$(grep -vc '"p":' /tmp/load.jsonl || true) span=$span"
sleep 1
# All of ab's output: when it stops early its reason is the line that matters.
ab -q -r -n 10000000 -t %[2]d -c %[1]d http://10.96.0.10:81/ 2>&1 || echo "ab exited $?"
kill $server
`

func newBenchLoadCommand(g *globalFlags) *cobra.Command {
	var concurrency, seconds int
	cmd := &cobra.Command{
		Use:   "bench-load",
		Short: "Connections/s of the scenario's load generator beside ab, in one guest, against the same Service",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if concurrency < 1 || seconds < 1 {
				return fmt.Errorf("--concurrency and --seconds must be >= 1 (got %d, %d)", concurrency, seconds)
			}
			env, err := run.Prepare(cmd.Context(), g.options())
			if err != nil {
				return err
			}
			script := fmt.Sprintf(loadBenchScript, concurrency, seconds)
			res, err := bootExec(cmd.Context(), env, "", nil, []string{script})
			if err != nil {
				return err
			}
			if res.ExitCode != 0 {
				return fmt.Errorf("benchmark script failed: %+v", res)
			}
			b, err := parseLoadBench(res.Stdout, seconds)
			if err != nil {
				return fmt.Errorf("%w\n%s", err, res.Stdout)
			}
			fmt.Printf("kernel=%s accel=%s concurrency=%d seconds=%d (closed loop, one request per connection, iptables DNAT)\n",
				env.Kernel.Entry.Name, env.Accel, concurrency, seconds)
			fmt.Printf("  rolloutlab load: %8.1f conn/s  (%d ok, %d failed)\n", b.loadRate, b.loadOK, b.loadFailed)
			fmt.Printf("  ab:              %8.1f conn/s  (%d complete, %d failed)\n", b.abRate, b.abComplete, b.abFailed)
			fmt.Printf("  ratio load/ab:   %8.2f\n", b.loadRate/b.abRate)
			return nil
		},
	}
	cmd.Flags().IntVarP(&concurrency, "concurrency", "c", 8, "connections in flight (both generators)")
	cmd.Flags().IntVar(&seconds, "seconds", 10, "how long each generator runs")
	return cmd
}

type loadBench struct {
	loadOK, loadFailed, abComplete, abFailed int
	loadRate, abRate                         float64
}

var (
	loadLine  = regexp.MustCompile(`LOAD ok=(\d+) failed=(\d+)(?: span=([0-9.]+))?`)
	abRate    = regexp.MustCompile(`Requests per second:\s+([0-9.]+)`)
	abDone    = regexp.MustCompile(`Complete requests:\s+(\d+)`)
	abFailedN = regexp.MustCompile(`Failed requests:\s+(\d+)`)
)

// parseLoadBench reads the script's output; the generator's rate is its
// successes over its measured span (first start to last answer), or over
// the run time it was given when no span was printed.
func parseLoadBench(out string, seconds int) (loadBench, error) {
	var b loadBench
	m := loadLine.FindStringSubmatch(out)
	r, d, f := abRate.FindStringSubmatch(out), abDone.FindStringSubmatch(out), abFailedN.FindStringSubmatch(out)
	if m == nil || r == nil || d == nil || f == nil {
		return b, fmt.Errorf("benchmark output lacks the LOAD line or ab's summary")
	}
	b.loadOK, _ = strconv.Atoi(m[1])
	b.loadFailed, _ = strconv.Atoi(m[2])
	b.abRate, _ = strconv.ParseFloat(r[1], 64)
	b.abComplete, _ = strconv.Atoi(d[1])
	b.abFailed, _ = strconv.Atoi(f[1])
	span := float64(seconds)
	if m[3] != "" {
		if v, err := strconv.ParseFloat(m[3], 64); err == nil && v > 0 {
			span = v
		}
	}
	b.loadRate = float64(b.loadOK) / span
	if b.abRate <= 0 {
		return b, fmt.Errorf("ab reported %q requests/s", strings.TrimSpace(r[1]))
	}
	return b, nil
}
