// Package server is the pod's application: one request per TCP connection
// (read a line, answer with the pod's name, then the server closes first,
// so TIME_WAIT sits on the server side as with HTTP/1.0 servers). On SIGTERM
// it stops accepting, finishes in-flight requests and exits 0.
package server

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Main is the "serve" subcommand: serve --name POD --port 8080.
func Main(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	name := fs.String("name", "", "pod name to answer with")
	port := fs.Int("port", 8080, "TCP port")
	readTimeout := fs.Duration("read-timeout", 5*time.Second, "how long to wait for the request line")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp4", fmt.Sprintf(":%d", *port))
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve: %v\n", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		ln.Close() // stop accepting; queued connections get RST when the socket goes
	}()
	if err := Serve(ln, *name, *readTimeout); err != nil {
		fmt.Fprintf(os.Stderr, "serve: %v\n", err)
		return 1
	}
	return 0
}

// Serve answers connections until ln is closed, then waits for in-flight ones.
func Serve(ln net.Listener, name string, readTimeout time.Duration) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	answer := []byte(name + "\n")
	httpAnswer := []byte(fmt.Sprintf("HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(answer), answer))
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(readTimeout))
			br := bufio.NewReader(c)
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if !strings.Contains(line, " HTTP/1.") {
				_, _ = c.Write(answer)
				return
			}
			// An HTTP/1.x client (ab in the load benchmark): read its
			// headers so closing sends FIN, not RST, and answer HTTP.
			for {
				h, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if strings.TrimSpace(h) == "" {
					break
				}
			}
			_, _ = c.Write(httpAnswer)
		}()
	}
}
