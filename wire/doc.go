// Package wire is what crosses the VM boundary: the request the host hands
// to the guest agent (packed into an extra initramfs archive) and the typed
// messages the agent streams back over the control serial port (ttyS1),
// one framed JSON object per line. Host and guest both import it; it
// imports neither side, only the neutral scenario types its messages carry.
//
// Nothing that crosses is opaque: a request carries typed cells, every
// message kind has its own payload type, and Decode refuses a line whose
// payload does not fit its kind, so the host can never silently drop what
// it cannot read.
package wire

// RequestPath is where the agent finds its request inside the guest.
const RequestPath = "/rolloutlab/request.json"

// ControlDevice is the guest serial port that carries Messages to the host.
// ttyS1 (8250) is built into every kernel we boot, unlike virtio-serial.
const ControlDevice = "/dev/ttyS1"
