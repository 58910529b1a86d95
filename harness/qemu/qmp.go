package qemu

import (
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// injectNMI asks QEMU, on its QMP socket, to inject an NMI into the guest.
// With unknown_nmi_panic (DefaultCmdline) the guest kernel then panics and
// prints its log and where its CPUs were, so a hang leaves a trace.
func injectNMI(socket string, timeout time.Duration) error {
	conn, err := net.DialTimeout("unix", socket, timeout)
	if err != nil {
		return fmt.Errorf("QMP: %w", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("QMP: %w", err)
	}
	dec, enc := json.NewDecoder(conn), json.NewEncoder(conn)
	var greeting map[string]json.RawMessage
	if err := dec.Decode(&greeting); err != nil {
		return fmt.Errorf("QMP greeting: %w", err)
	}
	if _, ok := greeting["QMP"]; !ok {
		return fmt.Errorf("QMP greeting without a QMP member")
	}
	for _, cmd := range []string{"qmp_capabilities", "inject-nmi"} {
		if err := enc.Encode(map[string]string{"execute": cmd}); err != nil {
			return fmt.Errorf("QMP %s: %w", cmd, err)
		}
		if err := qmpReply(dec, cmd); err != nil {
			return err
		}
	}
	return nil
}

// qmpReply reads up to the reply to cmd, skipping asynchronous events.
func qmpReply(dec *json.Decoder, cmd string) error {
	for {
		var m struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Class, Desc string
			} `json:"error"`
			Event string `json:"event"`
		}
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("QMP %s: %w", cmd, err)
		}
		switch {
		case m.Error != nil:
			return fmt.Errorf("QMP %s: %s: %s", cmd, m.Error.Class, m.Error.Desc)
		case m.Return != nil:
			return nil
		}
	}
}
