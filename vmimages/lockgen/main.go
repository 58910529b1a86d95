// Command lockgen regenerates vmimages/packages.lock from a Debian mirror's
// Packages index (see vmimages/README.md). Run it via vmimages/lock.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/rolloutlab/rolloutlab/harness/cache"
	"github.com/rolloutlab/rolloutlab/harness/image"
)

func main() {
	out := flag.String("o", "vmimages/packages.lock", "file to write ('-' for stdout)")
	mirror := flag.String("mirror", image.Mirror(), "Debian mirror base URL (default from $"+image.EnvMirror+")")
	suite := flag.String("suite", "bookworm", "Debian suite")
	roots := flag.String("roots", strings.Join(image.DefaultRoots, ","), "comma-separated root packages")
	engine := flag.Bool("engine", false, "write vmimages/engine.lock: the engine root's roots, whole Depends closure")
	flag.Parse()
	req := image.LockRequest{Mirror: *mirror, Suite: *suite, Roots: strings.Split(*roots, ","), Progress: os.Stderr}
	if *engine {
		req.Roots, req.Full = image.EngineRoots, true
		req.Title = "Debian packages of the engine root disk (harness/image/engine.go). Regenerate: vmimages/lock.sh -engine"
		if !flagSet("o") {
			*out = "vmimages/engine.lock"
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	lock, err := image.GenerateLock(ctx, req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lockgen:", err)
		os.Exit(1)
	}
	if *out == "-" {
		os.Stdout.Write(lock)
		return
	}
	if err := cache.WriteFileAtomic(*out, lock, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "lockgen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "lockgen: wrote %s\n", *out)
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
