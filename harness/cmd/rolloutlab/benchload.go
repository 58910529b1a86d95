package main

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rolloutlab/rolloutlab/harness/image"
	"github.com/rolloutlab/rolloutlab/harness/run"
)

// loadBenchScript sets up one Service the way iptables mode does (a DNAT
// from the VIP to a pod address on a dummy link, so conntrack is engaged),
// then drives it for the same time and concurrency with the scenario's
// load generator and with Debian's ab, --pairs times in one boot, the order
// alternating. All traffic stays in the guest.
const loadBenchScript = `set -e
/sbin/ip link set lo up
/sbin/ip link add pod0 type dummy
/sbin/ip link set pod0 up
/sbin/ip addr add 10.244.0.5/32 dev pod0
# The route a node's default route would give; DNAT in OUTPUT comes after routing.
/sbin/ip route add 10.96.0.0/16 dev pod0
# Every run gets its own Service port and its own pod address. The server
# closes first, so its TIME_WAIT sockets hold (pod:8080, client:port) for
# 60 s; a later run reusing those client ports toward the same pod address
# collides with them after DNAT. At 829 conn/s (8286 in the first 10 s
# run) ab then stalled with "apr_pollset_poll: The timeout specified has
# expired" and the next generator runs timed out; on a 597 conn/s machine
# ab failed with EADDRNOTAVAIL and printed no summary. Same server, same
# DNAT path.
for r in $(seq 0 $((2 * %[3]d - 1))); do
  /sbin/ip addr add 10.244.1.$((r + 1))/32 dev pod0
  iptables -t nat -A OUTPUT -d 10.96.0.10/32 -p tcp --dport $((80 + r)) -j DNAT --to-destination 10.244.1.$((r + 1)):8080
done
# The guest's default conntrack table (8192 entries in 1 GiB) fills within
# one fast run, each connection staying 120 s in TIME_WAIT, and then SYNs
# are dropped ("nf_conntrack: table full"); kube-proxy raises it on a node
# (conntrack.maxPerCore 32768), and the table is flushed between runs.
echo 131072 > /proc/sys/net/netfilter/nf_conntrack_max
# The server must not hold the script's stdout open, or exec waits for it.
/init serve --name bench --port 8080 >/dev/null 2>&1 &
server=$!
sleep 0.5
gen() {
  /init load --config '{"target":"10.96.0.10:'$1'","closed_loop":true,"concurrency":%[1]d,"port_range":"32768 60999","timeout":"3s","max_duration":"%[2]ds","out":"/tmp/load.jsonl"}'
  # Its span: first intended start to last answer, as ab times its own run.
  span=$(awk -F'[:,{}]' '{for(k=1;k<NF;k++){if($k=="\"i\"")I=$(k+1); if($k=="\"t\"")T=$(k+1)} if(min==""||I<min)min=I; if(I+T>max)max=I+T} END{printf "%%.3f", (max-min)/1e9}' /tmp/load.jsonl)
  echo "LOAD ok=$(grep -c '"p":' /tmp/load.jsonl || true) failed=$(grep -vc '"p":' /tmp/load.jsonl || true) span=$span"
}
# All of ab's output: when it stops early its reason is the line that matters.
abrun() { ab -q -r -n 10000000 -t %[2]d -c %[1]d http://10.96.0.10:$1/ 2>&1 || echo "ab exited $?"; }
for i in $(seq 0 $((%[3]d - 1))); do
  echo "PAIR $i"
  if [ $((i %% 2)) = 0 ]; then gen $((80 + 2 * i)); sleep 1; abrun $((81 + 2 * i)); else abrun $((81 + 2 * i)); sleep 1; gen $((80 + 2 * i)); fi
  echo "CONNTRACK count=$(cat /proc/sys/net/netfilter/nf_conntrack_count) max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)"
  conntrack -F >/dev/null 2>&1 || true
  sleep 1
done
kill $server
dmesg | grep -i 'table full' | tail -n 3 || true
`

func newBenchLoadCommand(g *globalFlags) *cobra.Command {
	var concurrency, seconds, pairs int
	cmd := &cobra.Command{
		Use:   "bench-load",
		Short: "Connections/s of the scenario's load generator beside ab, in one guest, against the same Service",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if concurrency < 1 || seconds < 1 || pairs < 1 {
				return fmt.Errorf("--concurrency, --seconds and --pairs must be >= 1 (got %d, %d, %d)", concurrency, seconds, pairs)
			}
			env, err := run.Prepare(cmd.Context(), g.options())
			if err != nil {
				return err
			}
			// ab is not in the base image: its archive goes after it.
			bench, err := image.BenchArchive(cmd.Context(), image.Options{CacheDir: env.CacheDir, Progress: os.Stderr})
			if err != nil {
				return err
			}
			script := fmt.Sprintf(loadBenchScript, concurrency, seconds, pairs)
			res, err := bootExec(cmd.Context(), env.WithExtra([]string{bench}, 0), "", nil, "", []string{script})
			if err != nil {
				return err
			}
			if res.ExitCode != 0 {
				return fmt.Errorf("benchmark script failed: %+v", res)
			}
			bs, err := parseLoadBenchPairs(res.Stdout, seconds)
			if err != nil {
				return fmt.Errorf("%w\n%s", err, res.Stdout)
			}
			fmt.Printf("kernel=%s accel=%s concurrency=%d seconds=%d pairs=%d (closed loop, one request per connection, iptables DNAT; order alternates)\n",
				env.Kernel.Entry.Name, env.Accel, concurrency, seconds, len(bs))
			var ratios []float64
			for i, b := range bs {
				ratios = append(ratios, b.loadRate/b.abRate)
				fmt.Printf("  pair %d: rolloutlab load %7.1f conn/s (%d ok, %d failed)  ab %7.1f conn/s (%d complete, %d failed)  load/ab %.2f\n",
					i+1, b.loadRate, b.loadOK, b.loadFailed, b.abRate, b.abComplete, b.abFailed, b.loadRate/b.abRate)
			}
			sort.Float64s(ratios)
			fmt.Printf("  ratio load/ab: median %.2f (%.2f-%.2f over %d pairs)\n", medianRatio(ratios), ratios[0], ratios[len(ratios)-1], len(ratios))
			return nil
		},
	}
	cmd.Flags().IntVarP(&concurrency, "concurrency", "c", 8, "connections in flight (both generators)")
	cmd.Flags().IntVar(&seconds, "seconds", 10, "how long each generator runs")
	cmd.Flags().IntVar(&pairs, "pairs", 5, "paired runs (generator and ab) in the one boot")
	return cmd
}

// medianRatio of sorted values.
func medianRatio(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// parseLoadBenchPairs splits the script's output at its PAIR lines and
// reads each pair; a pair without both figures is an error.
func parseLoadBenchPairs(out string, seconds int) ([]loadBench, error) {
	chunks := strings.Split(out, "PAIR ")
	var bs []loadBench
	for _, c := range chunks[1:] {
		b, err := parseLoadBench(c, seconds)
		if err != nil {
			return nil, fmt.Errorf("pair %d: %w", len(bs)+1, err)
		}
		bs = append(bs, b)
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("benchmark output has no PAIR line")
	}
	return bs, nil
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
