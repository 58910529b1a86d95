package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rolloutlab/rolloutlab/scenario"
)

// FramePrefix starts every control line so that stray output on the port
// (a kernel message, a shell echo) is never mistaken for a message.
const FramePrefix = "@@rolloutlab "

// Kind names a control message; each kind has exactly one payload field.
type Kind string

const (
	KindHello      Kind = "hello"       // Hello: the agent started
	KindLog        Kind = "log"         // Text: a progress line for the user
	KindExecResult Kind = "exec-result" // Exec
	KindCellResult Kind = "cell-result" // Cell: one scenario cell's result
	KindFile       Kind = "file"        // File: a named blob (raw records)
	KindError      Kind = "error"       // Error
	KindDone       Kind = "done"        // no payload: the agent finished and powers off next
)

// Message is one control line.
type Message struct {
	Kind  Kind                 `json:"kind"`
	Time  time.Time            `json:"time"`
	Text  string               `json:"text,omitempty"`
	Hello *Facts               `json:"hello,omitempty"`
	Exec  *ExecResult          `json:"exec,omitempty"`
	Cell  *scenario.CellResult `json:"cell,omitempty"`
	File  *File                `json:"file,omitempty"`
	Error *GuestError          `json:"error,omitempty"`
}

// Valid reports whether m carries exactly the payload its kind promises.
func (m Message) Valid() error {
	has := map[Kind]bool{
		KindLog: m.Text != "", KindHello: m.Hello != nil, KindExecResult: m.Exec != nil,
		KindCellResult: m.Cell != nil, KindFile: m.File != nil, KindError: m.Error != nil,
	}
	want, known := has[m.Kind]
	if !known && m.Kind != KindDone {
		return fmt.Errorf("unknown message kind %q", string(m.Kind))
	}
	for k, set := range has {
		if set && k != m.Kind {
			return fmt.Errorf("%s message carries a %s payload", m.Kind, k)
		}
	}
	if known && !want {
		return fmt.Errorf("%s message without its payload", m.Kind)
	}
	switch {
	case m.Cell != nil && m.Cell.Cell.Name == "":
		return fmt.Errorf("cell result without a cell name")
	case m.File != nil && m.File.Name == "":
		return fmt.Errorf("file without a name")
	case m.Error != nil:
		return m.Error.Kind.Valid()
	}
	return nil
}

// Constructors, one per kind, so the agent cannot build a message that
// Valid would refuse.
func Hello(f Facts) Message { return Message{Kind: KindHello, Time: time.Now(), Hello: &f} }
func Log(text string) Message {
	if text == "" {
		text = "(empty)"
	}
	return Message{Kind: KindLog, Time: time.Now(), Text: text}
}
func Exec(r ExecResult) Message { return Message{Kind: KindExecResult, Time: time.Now(), Exec: &r} }
func CellDone(r *scenario.CellResult) Message {
	return Message{Kind: KindCellResult, Time: time.Now(), Cell: r}
}
func FileMsg(name string, data []byte) Message {
	return Message{Kind: KindFile, Time: time.Now(), File: &File{Name: name, Data: data}}
}
func Fail(kind ErrorKind, op string, err error) Message {
	return Message{Kind: KindError, Time: time.Now(), Error: &GuestError{Kind: kind, Op: op, Message: err.Error()}}
}
func Done() Message { return Message{Kind: KindDone, Time: time.Now()} }

// Encode renders one framed control line (without trailing newline).
func Encode(m Message) ([]byte, error) {
	if err := m.Valid(); err != nil {
		return nil, fmt.Errorf("encode %s message: %w", m.Kind, err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s message: %w", m.Kind, err)
	}
	return append([]byte(FramePrefix), b...), nil
}

// Decode parses a line. ok is false for lines that are not framed messages
// (console noise); a framed line that does not decode into a valid message
// returns ok with a *DecodeError.
func Decode(line []byte) (m Message, ok bool, err error) {
	i := bytes.Index(line, []byte(FramePrefix))
	if i < 0 {
		return Message{}, false, nil
	}
	body := line[i+len(FramePrefix):]
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Message{}, true, &DecodeError{Line: truncate(body), Err: err}
	}
	if err := m.Valid(); err != nil {
		return Message{}, true, &DecodeError{Line: truncate(body), Err: err}
	}
	return m, true, nil
}

func truncate(b []byte) string {
	const max = 200
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
