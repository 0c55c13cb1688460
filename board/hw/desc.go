package hw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"minipbx/board/pcmlink"
)

// Description says where everything is on a board: which SPI chip select
// carries which line chip, the GPIOs of their RESET and INT pins, the PCM
// timeslot each chip was wired to, the serial devices of the PCM link and
// of voice modems, and the panel's GPIOs. Reference returns the reference
// box; installers describe a variant in JSON (LoadDescription).
//
// GPIO names are periph.io names (gpioreg.ByName: "GPIO17", a header pin
// alias, or a number); SPI ports are periph.io names "SPI<bus>.<cs>"
// (/dev/spidev<bus>.<cs>). An empty name means "not wired".
type Description struct {
	Name string `json:"name"`
	// SPIHz is the SPI clock for the line chips; 0 means 2 MHz (half the
	// chips' 4 MHz limit, for margin on long traces).
	SPIHz int `json:"spi_hz,omitempty"`
	// Law is the PCM highway's companding law: "ulaw" or "alaw".
	Law string `json:"law"`
	// Country is the FXO line-interface country (voicedaa.LookupCountry).
	Country string      `json:"country"`
	FXS     []ChipPort  `json:"fxs"`
	FXO     []ChipPort  `json:"fxo"`
	PCMLink SerialDev   `json:"pcm_link"`
	Modems  []SerialDev `json:"modems,omitempty"`
	Panel   PanelPins   `json:"panel"`
}

// ChipPort is one line chip.
type ChipPort struct {
	Name     string `json:"name"`     // e.g. "FXS 1"
	SPI      string `json:"spi"`      // e.g. "SPI0.0"
	Reset    string `json:"reset"`    // GPIO of the chip's RESET (active low)
	IRQ      string `json:"irq"`      // GPIO of the chip's INT (active low)
	Timeslot int    `json:"timeslot"` // PCM timeslot, 0..15 (pcmlink carries 16)
}

// SerialDev is a serial device.
type SerialDev struct {
	Name   string `json:"name,omitempty"`
	Device string `json:"device"` // e.g. "/dev/ttyS1"
	Baud   int    `json:"baud,omitempty"`
}

// PanelPins are the panel's GPIOs.
type PanelPins struct {
	Relay          string   `json:"relay"`
	RelayActiveLow bool     `json:"relay_active_low,omitempty"`
	StatusLED      string   `json:"status_led"`
	PortLEDs       []string `json:"port_leds,omitempty"` // by port index (FXS…, FXO…, modems…)
	LEDActiveLow   bool     `json:"led_active_low,omitempty"`
	Button         string   `json:"button"`
	ButtonHigh     bool     `json:"button_active_high,omitempty"`
}

// Reference is the reference box of DESIGN.md: two Si3215 FXS and two
// Si3050 FXO ports on SPI0 (chip selects 0..3, the last two through GPIO
// chip selects in the device tree), PCM timeslots 0..3, the bridge MCU on
// /dev/ttyS1 at 3 Mbaud, and the panel's relay, LEDs and button.
func Reference() Description {
	return Description{
		Name:    "minipbx reference box",
		SPIHz:   2_000_000,
		Law:     "alaw",
		Country: "de",
		FXS: []ChipPort{
			{Name: "FXS 1", SPI: "SPI0.0", Reset: "GPIO17", IRQ: "GPIO27", Timeslot: 0},
			{Name: "FXS 2", SPI: "SPI0.1", Reset: "GPIO22", IRQ: "GPIO23", Timeslot: 1},
		},
		FXO: []ChipPort{
			{Name: "FXO 1", SPI: "SPI0.2", Reset: "GPIO24", IRQ: "GPIO25", Timeslot: 2},
			{Name: "FXO 2", SPI: "SPI0.3", Reset: "GPIO5", IRQ: "GPIO6", Timeslot: 3},
		},
		PCMLink: SerialDev{Name: "PCM link", Device: "/dev/ttyS1", Baud: pcmlink.DefaultBaud},
		Panel: PanelPins{
			Relay: "GPIO12", StatusLED: "GPIO13",
			PortLEDs: []string{"GPIO16", "GPIO19", "GPIO20", "GPIO21"},
			Button:   "GPIO26",
		},
	}
}

// LoadDescription reads a JSON description. Fields left out keep the
// reference box's values, so a variant names only what differs; unknown
// fields are an error (a typo must not silently fall back to a default).
func LoadDescription(r io.Reader) (Description, error) {
	d := Reference()
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return Description{}, fmt.Errorf("hw: read description: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Description{}, fmt.Errorf("hw: board description: %w", err)
	}
	if err := d.Validate(); err != nil {
		return Description{}, err
	}
	return d, nil
}

// Validate checks the description for what would make the board misbehave:
// duplicate chip selects, timeslots or GPIOs, timeslots the PCM link cannot
// carry, unknown law.
func (d *Description) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if d.Law != "ulaw" && d.Law != "alaw" {
		bad("law %q: want ulaw or alaw", d.Law)
	}
	if d.SPIHz < 0 || d.SPIHz > 4_000_000 {
		bad("spi_hz %d: the line chips take at most 4 MHz", d.SPIHz)
	}
	if len(d.FXS)+len(d.FXO) > pcmlink.MaxSlots {
		bad("%d line chips: the PCM link carries %d timeslots", len(d.FXS)+len(d.FXO), pcmlink.MaxSlots)
	}
	spis := map[string]string{}
	slots := map[int]string{}
	gpios := map[string]string{}
	useGPIO := func(pin, what string) {
		if pin == "" {
			return
		}
		if other, dup := gpios[strings.ToUpper(pin)]; dup {
			bad("GPIO %s used by both %s and %s", pin, other, what)
		}
		gpios[strings.ToUpper(pin)] = what
	}
	names := map[string]bool{}
	for _, list := range [][]ChipPort{d.FXS, d.FXO} {
		for _, c := range list {
			if c.Name == "" {
				bad("a line chip without a name")
			}
			if names[c.Name] {
				bad("port name %q used twice", c.Name)
			}
			names[c.Name] = true
			if c.SPI == "" {
				bad("%s: no SPI port", c.Name)
			} else if other, dup := spis[c.SPI]; dup {
				bad("%s: SPI port %s already used by %s", c.Name, c.SPI, other)
			}
			spis[c.SPI] = c.Name
			if c.Timeslot < 0 || c.Timeslot >= pcmlink.MaxSlots {
				bad("%s: timeslot %d outside 0..%d", c.Name, c.Timeslot, pcmlink.MaxSlots-1)
			} else if other, dup := slots[c.Timeslot]; dup {
				bad("%s: timeslot %d already used by %s", c.Name, c.Timeslot, other)
			}
			slots[c.Timeslot] = c.Name
			useGPIO(c.Reset, c.Name+" reset")
			useGPIO(c.IRQ, c.Name+" irq")
		}
	}
	devs := map[string]bool{}
	for i, m := range d.Modems {
		if m.Device == "" {
			bad("modem %d: no device", i+1)
		}
		if devs[m.Device] || m.Device == d.PCMLink.Device {
			bad("serial device %s used twice", m.Device)
		}
		devs[m.Device] = true
	}
	if n := len(d.FXS) + len(d.FXO) + len(d.Modems); len(d.Panel.PortLEDs) > n {
		bad("%d port LEDs for %d ports", len(d.Panel.PortLEDs), n)
	}
	useGPIO(d.Panel.Relay, "relay")
	useGPIO(d.Panel.StatusLED, "status LED")
	useGPIO(d.Panel.Button, "button")
	for i, l := range d.Panel.PortLEDs {
		useGPIO(l, fmt.Sprintf("port %d LED", i+1))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("hw: board description %q: %w", d.Name, err)
	}
	return nil
}
