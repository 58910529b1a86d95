package qemu

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rolloutlab/rolloutlab/wire"
)

// fakeEnv names the play file that turns the test binary into a fake
// qemu-system-x86_64 (see fakeQEMU).
const fakeEnv = "ROLLOUTLAB_FAKE_QEMU"

func TestMain(m *testing.M) {
	if play := os.Getenv(fakeEnv); play != "" {
		os.Exit(fakeQEMU(play, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeQEMU plays a script against the serial ports that args (as Args
// builds them) describe, one step a line:
//
//	pidfile PATH     write our pid to PATH
//	open             open the ports, as QEMU does before the guest runs
//	line N TEXT      TEXT and a newline on ttyS<N>
//	raw N TEXT       TEXT alone (a line cut short)
//	msg N KIND       a framed control message on ttyS<N>
//	stderr TEXT      a QEMU diagnostic
//	sleep DURATION   pause
//	qmp              serve QMP on the -qmp socket; an inject-nmi panics
//	                 the "kernel" (a panic on ttyS0) and exits, as
//	                 unknown_nmi_panic with panic=-1 and -no-reboot do
//	hang             never finish on our own
//	exit CODE        stop here with CODE
//
// Reaching the end of the script exits 0, like a guest powering off.
func fakeQEMU(playPath string, args []string) int {
	play, err := os.ReadFile(playPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake qemu:", err)
		return 2
	}
	var ports []io.Writer
	for _, step := range strings.Split(strings.TrimSpace(string(play)), "\n") {
		verb, arg, _ := strings.Cut(step, " ")
		port := func() (io.Writer, string) {
			n, text, _ := strings.Cut(arg, " ")
			i, err := strconv.Atoi(n)
			if err != nil || i >= len(ports) {
				fmt.Fprintf(os.Stderr, "fake qemu: step %q: no port %s (ports open: %d)\n", step, n, len(ports))
				os.Exit(2)
			}
			return ports[i], text
		}
		switch verb {
		case "pidfile":
			err = os.WriteFile(arg, []byte(strconv.Itoa(os.Getpid())), 0o644)
		case "open":
			ports, err = fakePorts(args)
		case "line":
			w, text := port()
			_, err = io.WriteString(w, text+"\n")
		case "raw":
			w, text := port()
			_, err = io.WriteString(w, text)
		case "msg":
			w, kind := port()
			var b []byte
			if b, err = wire.Encode(fakeMessage(wire.Kind(kind))); err == nil {
				_, err = w.Write(append(b, '\n'))
			}
		case "stderr":
			fmt.Fprintln(os.Stderr, arg)
		case "sleep":
			var d time.Duration
			if d, err = time.ParseDuration(arg); err == nil {
				time.Sleep(d)
			}
		case "qmp":
			err = fakeQMP(args, ports)
		case "hang":
			time.Sleep(time.Hour)
		case "exit":
			code, _ := strconv.Atoi(arg)
			return code
		default:
			err = fmt.Errorf("unknown step")
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "fake qemu: step %q: %v\n", step, err)
			return 1
		}
	}
	return 0
}

// fakePorts opens the serial ports in -serial order (ttyS0 first) from
// the -chardev backends, refusing what the real QEMU would refuse or
// what Run could not read.
func fakePorts(args []string) ([]io.Writer, error) {
	chardevs := map[string]io.Writer{}
	var ports []io.Writer
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "-chardev":
			backend, opts := parseOpts(args[i+1])
			var w io.Writer
			switch backend {
			case "stdio":
				w = os.Stdout
			case "socket":
				if opts["server"] != "off" || opts["path"] == "" {
					return nil, fmt.Errorf("socket chardev %q: want a client (server=off) with a path", args[i+1])
				}
				// Like QEMU: a missing listener fails startup at once.
				c, err := net.Dial("unix", opts["path"])
				if err != nil {
					return nil, fmt.Errorf("Failed to connect to '%s': %w", opts["path"], err)
				}
				w = c
			default:
				return nil, fmt.Errorf("fake has no chardev backend %q", backend)
			}
			chardevs[opts["id"]] = w
		case "-serial":
			switch v := args[i+1]; {
			case v == "null":
				ports = append(ports, io.Discard)
			case strings.HasPrefix(v, "chardev:"):
				w, ok := chardevs[strings.TrimPrefix(v, "chardev:")]
				if !ok {
					return nil, fmt.Errorf("-serial %s names no chardev defined before it", v)
				}
				ports = append(ports, w)
			default:
				return nil, fmt.Errorf("fake has no -serial %q", v)
			}
		}
	}
	return ports, nil
}

// parseOpts splits "backend,k=v,..." where ",," is a literal comma.
func parseOpts(s string) (string, map[string]string) {
	var fields []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			if i+1 < len(s) && s[i+1] == ',' {
				cur.WriteByte(',')
				i++
				continue
			}
			fields = append(fields, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(s[i])
	}
	fields = append(fields, cur.String())
	opts := map[string]string{}
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		opts[k] = v
	}
	return fields[0], opts
}

// fakeMessage is a valid message of the kind with a stand-in payload.
func fakeMessage(k wire.Kind) wire.Message {
	switch k {
	case wire.KindHello:
		return wire.Hello(wire.Facts{KernelRelease: "6.1.0-fake"})
	case wire.KindLog:
		return wire.Log("fake progress")
	case wire.KindDone:
		return wire.Done()
	}
	return wire.Message{Kind: k, Time: time.Now()}
}

// fakeQMP serves the -qmp socket in the background (see the qmp step).
func fakeQMP(args []string, ports []io.Writer) error {
	var path string
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-qmp" {
			backend, _ := parseOpts(args[i+1])
			path = strings.TrimPrefix(backend, "unix:")
		}
	}
	if path == "" {
		return fmt.Errorf("no -qmp unix: socket in the arguments")
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		dec, enc := json.NewDecoder(conn), json.NewEncoder(conn)
		_ = enc.Encode(map[string]any{"QMP": map[string]any{"version": map[string]any{}, "capabilities": []string{}}})
		for {
			var cmd struct{ Execute string }
			if dec.Decode(&cmd) != nil {
				return
			}
			_ = enc.Encode(map[string]any{"event": "SOME_EVENT"}) // events come between replies
			_ = enc.Encode(map[string]any{"return": map[string]any{}})
			if cmd.Execute == "inject-nmi" && len(ports) > 0 {
				fmt.Fprintln(ports[0], "Kernel panic - not syncing: NMI: Not continuing")
				fmt.Fprintln(ports[0], "NMI backtrace for cpu 1")
				os.Exit(0)
			}
		}
	}()
	return nil
}
