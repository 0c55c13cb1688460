package box

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"minipbx/board/hw"
	"minipbx/board/pcmlink"
	"minipbx/internal/atomicfile"
	"minipbx/telephony/store"
	"minipbx/webui"
)

// BoardFile is the custom board description in the data directory: what
// -board auto brings up instead of the reference box (hw.LoadDescription:
// it names only what differs). The PBX parameters page writes it when the
// installer changes the PCM timeslot map.
const BoardFile = "board.json"

// loadDescription reads dir's board.json, or the reference box's
// description when there is none. A description that does not read is
// an error: the box must not run a board other than the one described.
func loadDescription(dir string) (d hw.Description, custom bool, err error) {
	f, err := os.Open(filepath.Join(dir, BoardFile))
	if errors.Is(err, fs.ErrNotExist) {
		return hw.Reference(), false, nil
	}
	if err != nil {
		return hw.Description{}, false, fmt.Errorf("board description: %w", err)
	}
	defer f.Close()
	d, err = hw.LoadDescription(f)
	if err != nil {
		return hw.Description{}, false, fmt.Errorf("%s: %w", filepath.Join(dir, BoardFile), err)
	}
	return d, true, nil
}

// peekVoiceModem reads the voice-modem settings from the database before
// the board is opened (the board comes first: its ports size the
// database's checks). A database that cannot be read gives none; the real
// open that follows reports it.
func peekVoiceModem(dir string) store.VoiceModem {
	path := filepath.Join(dir, store.FileName)
	if _, err := os.Stat(path); err != nil {
		return store.VoiceModem{}
	}
	db, err := store.Open(path, store.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return store.VoiceModem{}
	}
	defer db.Close()
	sys, err := db.System()
	if err != nil {
		return store.VoiceModem{}
	}
	return sys.VoiceModem
}

// boardMap is the PBX parameters page's view of the board's description
// (webui.BoardMap).
type boardMap struct{ b *Box }

var _ webui.BoardMap = boardMap{}

func (m boardMap) info(d hw.Description, custom bool) webui.BoardInfo {
	out := webui.BoardInfo{Name: d.Name, Custom: custom, Simulated: m.b.sim != nil, Law: d.Law, MaxSlot: pcmlink.MaxSlots - 1,
		Ports: []webui.BoardPort{}, Modems: []webui.BoardModem{}}
	for _, c := range d.FXS {
		out.Ports = append(out.Ports, webui.BoardPort{Name: c.Name, Kind: "fxs", Timeslot: c.Timeslot})
	}
	for _, c := range d.FXO {
		out.Ports = append(out.Ports, webui.BoardPort{Name: c.Name, Kind: "fxo", Timeslot: c.Timeslot})
	}
	for _, s := range d.Modems {
		out.Modems = append(out.Modems, webui.BoardModem{Name: s.Name, Device: s.Device})
	}
	a, _ := json.Marshal(d)
	b, _ := json.Marshal(m.b.desc)
	out.Pending = !bytes.Equal(a, b)
	return out
}

// BoardDescription implements webui.BoardMap.
func (m boardMap) BoardDescription(ctx context.Context) (webui.BoardInfo, error) {
	d, custom, err := loadDescription(m.b.cfg.DataDir)
	if err != nil {
		return webui.BoardInfo{}, err
	}
	return m.info(d, custom), nil
}

// SetTimeslots implements webui.BoardMap: the description the box would
// read, with these timeslots, checked and saved as board.json.
func (m boardMap) SetTimeslots(ctx context.Context, slots []int) (webui.BoardInfo, error) {
	d, _, err := loadDescription(m.b.cfg.DataDir)
	if err != nil {
		return webui.BoardInfo{}, err
	}
	chips := len(d.FXS) + len(d.FXO)
	v := &store.ValidationError{}
	if len(slots) != chips {
		v.Fields = append(v.Fields, store.FieldError{Field: "timeslots", Message: fmt.Sprintf("give one timeslot for each of the %d line chips", chips)})
		return webui.BoardInfo{}, v
	}
	used := map[int]int{}
	for i, s := range slots {
		field := fmt.Sprintf("ports[%d].timeslot", i)
		switch other, dup := used[s]; {
		case s < 0 || s >= pcmlink.MaxSlots:
			v.Fields = append(v.Fields, store.FieldError{Field: field, Message: fmt.Sprintf("must be 0 to %d (the PCM link carries %d)", pcmlink.MaxSlots-1, pcmlink.MaxSlots)})
		case dup:
			v.Fields = append(v.Fields, store.FieldError{Field: field, Message: fmt.Sprintf("timeslot %d is port %d's already", s, other+1)})
		}
		used[s] = i
		if i < len(d.FXS) {
			d.FXS[i].Timeslot = s
		} else {
			d.FXO[i-len(d.FXS)].Timeslot = s
		}
	}
	if len(v.Fields) > 0 {
		return webui.BoardInfo{}, v
	}
	if err := d.Validate(); err != nil {
		return webui.BoardInfo{}, &store.ValidationError{Fields: []store.FieldError{{Field: "timeslots", Message: err.Error()}}}
	}
	if d.Name == hw.Reference().Name {
		d.Name += " (custom timeslots)"
	}
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return webui.BoardInfo{}, err
	}
	if err := atomicfile.Write(filepath.Join(m.b.cfg.DataDir, BoardFile), append(data, '\n'), 0o644); err != nil {
		return webui.BoardInfo{}, fmt.Errorf("board description: %w", err)
	}
	m.b.log.Info("saved a custom board description; it applies at the next start", "file", BoardFile, "timeslots", slots)
	return m.info(d, true), nil
}
