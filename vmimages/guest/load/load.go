package load

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolloutlab/rolloutlab/scenario"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/mono"
	"github.com/rolloutlab/rolloutlab/vmimages/guest/node"
)

// Main is the "load" subcommand: load --config JSON. It runs in the client
// pod's netns until SIGINT/SIGTERM or max_duration, then lets in-flight
// requests finish and exits.
func Main(args []string) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	cfgJSON := fs.String("config", "", "load.Config as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var cfg Config
	if err := json.Unmarshal([]byte(*cfgJSON), &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "load: config: %v\n", err)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	n, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "load: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "load: %d requests written to %s\n", n, cfg.Out)
	return 0
}

// Run generates load until ctx ends or MaxDuration passes and writes one
// JSON line per request to cfg.Out. It sets the port range in the
// namespace it runs in.
func Run(ctx context.Context, cfg Config) (int, error) {
	if err := cfg.validate(); err != nil {
		return 0, err
	}
	sa, err := sockaddr(cfg.Target)
	if err != nil {
		return 0, err
	}
	lo, hi, _ := scenario.ParsePortRange(cfg.PortRange)
	// A kind client Pod gets the range as a pod sysctl and has a read-only
	// /proc/sys: write only what is not already in effect.
	if cur, _ := node.GetSysctl("net/ipv4/ip_local_port_range"); strings.Join(strings.Fields(cur), " ") != fmt.Sprintf("%d %d", lo, hi) {
		if err := node.SetSysctl("net/ipv4/ip_local_port_range", fmt.Sprintf("%d %d", lo, hi)); err != nil {
			return 0, err
		}
	}
	f, err := os.Create(cfg.Out)
	if err != nil {
		return 0, fmt.Errorf("records file: %w", err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<16)
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxDuration.D())
	defer cancel()

	recs := make(chan scenario.Record, 1024)
	var written int
	var werr error
	wdone := make(chan struct{})
	go func() {
		defer close(wdone)
		var line []byte
		for r := range recs {
			if werr == nil {
				line = append(r.AppendJSON(line[:0]), '\n') // as json.Encoder writes it
				_, werr = w.Write(line)
			}
			written++
		}
	}()
	var wg sync.WaitGroup
	timeout := cfg.Timeout.D()
	if cfg.ClosedLoop {
		var seq int64
		var mu sync.Mutex
		for i := 0; i < cfg.Concurrency; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					mu.Lock()
					seq++
					n := seq
					mu.Unlock()
					now := mono.Now()
					recs <- request(sa, timeout, n, now)
				}
			}()
		}
	} else {
		openLoop(ctx, &wg, recs, sa, timeout, cfg.Rate)
	}
	wg.Wait()
	close(recs)
	<-wdone
	if werr != nil {
		return written, fmt.Errorf("write records: %w", werr)
	}
	if err := w.Flush(); err != nil {
		return written, fmt.Errorf("flush records: %w", err)
	}
	return written, f.Sync()
}

// openLoop starts request i at t0 + i/rate regardless of how earlier ones
// fare; a request started late still counts its latency from its slot.
func openLoop(ctx context.Context, wg *sync.WaitGroup, recs chan<- scenario.Record, sa *unix.SockaddrInet4, timeout time.Duration, rate float64) {
	t0 := mono.Now()
	for i := int64(0); ; i++ {
		intended := t0 + int64(float64(i)*float64(time.Second)/rate)
		if d := time.Duration(intended - mono.Now()); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			return
		}
		wg.Add(1)
		go func(seq, intended int64) {
			defer wg.Done()
			recs <- request(sa, timeout, seq, intended)
		}(i, intended)
	}
}
