package diag

import (
	"context"
	"fmt"

	"minipbx/board"
	"minipbx/telephony/analog"
)

// PortRef names an analog port.
type PortRef struct {
	Kind   board.Kind
	Number int // 1-based within its kind
	Name   string
}

// Target is the port's name in results: "fxs:1", "fxo:2".
func (p PortRef) Target() string { return fmt.Sprintf("%s:%d", p.Kind, p.Number) }

// Ports gives the tests the analog ports (telephony/analog's Manager
// through AnalogPorts).
type Ports interface {
	List() []PortRef
	// Reserve waits until the port is idle and holds it (see
	// analog.Manager.Reserve).
	Reserve(ctx context.Context, kind board.Kind, n int) (Reserved, error)
}

// Reserved is a port held for a test (analog.Reservation).
type Reserved interface {
	Port() board.Port
	Busy() bool
	SetAudio(fn board.AudioFunc)
	Seize(ctx context.Context) error
	ReleaseLine(ctx context.Context) error
	Release()
}

// AnalogPorts adapts the analog ports' manager.
func AnalogPorts(m *analog.Manager) Ports { return analogPorts{m} }

type analogPorts struct{ m *analog.Manager }

func (a analogPorts) List() []PortRef {
	var out []PortRef
	for _, s := range a.m.PortStates() {
		out = append(out, PortRef{Kind: s.Kind, Number: s.Number, Name: s.Name})
	}
	return out
}

func (a analogPorts) Reserve(ctx context.Context, kind board.Kind, n int) (Reserved, error) {
	r, err := a.m.Reserve(ctx, kind, n)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Optional capabilities of a board port, where its driver has them.
type (
	// ringerLoader estimates the REN on an FXS line.
	ringerLoader interface {
		RingerLoad() (float64, error)
	}
	// looper switches the codec's digital loopback.
	looper interface {
		SetLoopback(on bool) error
	}
)
