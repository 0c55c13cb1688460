package box

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"minipbx/board/hw"
	"minipbx/telephony/store"
)

// TestBoardMapTimeslots: the timeslot map is the reference box's until
// the installer saves another; a clash or a slot the PCM link does not
// carry is refused on its port; a saved map is a custom description that
// the next start reads, and is pending until then.
func TestBoardMapTimeslots(t *testing.T) {
	dir := t.TempDir()
	b := &Box{cfg: Config{DataDir: dir}, log: slog.New(slog.DiscardHandler), desc: hw.Reference()}
	m := boardMap{b}
	ctx := context.Background()
	info, err := m.BoardDescription(ctx)
	if err != nil || info.Custom || info.Pending || len(info.Ports) != 4 || info.Ports[2].Timeslot != 2 || len(info.Modems) != 0 {
		t.Fatalf("reference: %+v %v", info, err)
	}
	for _, bad := range []struct {
		slots []int
		field string
	}{
		{[]int{0, 1, 1, 3}, "ports[2].timeslot"},
		{[]int{0, 1, 2, 16}, "ports[3].timeslot"},
		{[]int{0, 1, 2}, "timeslots"},
	} {
		_, err := m.SetTimeslots(ctx, bad.slots)
		if v, ok := store.AsValidationError(err); !ok || v.Fields[0].Field != bad.field {
			t.Errorf("%v: %v, want a problem on %s", bad.slots, err, bad.field)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, BoardFile)); !os.IsNotExist(err) {
		t.Fatal("a refused map was saved")
	}
	info, err = m.SetTimeslots(ctx, []int{4, 5, 6, 7})
	if err != nil || !info.Custom || !info.Pending || info.Ports[0].Timeslot != 4 {
		t.Fatalf("saved: %+v %v", info, err)
	}
	d, custom, err := loadDescription(dir)
	if err != nil || !custom || d.FXO[1].Timeslot != 7 || d.PCMLink != hw.Reference().PCMLink {
		t.Fatalf("the next start reads %+v %v %v", d, custom, err)
	}
	b.desc = d // the restart
	if info, _ := m.BoardDescription(ctx); info.Pending {
		t.Fatal("pending after the restart")
	}
	os.WriteFile(filepath.Join(dir, BoardFile), []byte(`{"fxs": "nope"}`), 0o644)
	if _, _, err := loadDescription(dir); err == nil {
		t.Fatal("a broken description was read")
	}
}

// TestPeekVoiceModem: the modem settings are read before the board opens.
func TestPeekVoiceModem(t *testing.T) {
	dir := t.TempDir()
	if got := peekVoiceModem(dir); got != (store.VoiceModem{}) {
		t.Fatalf("no database: %+v", got)
	}
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sys, _ := db.System()
	sys.VoiceModem = store.VoiceModem{InitString: "AT+GCI=59", TimeoutMS: 3000}
	if _, err := db.UpdateSystem(sys); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if got := peekVoiceModem(dir); got != sys.VoiceModem {
		t.Fatalf("peeked %+v", got)
	}
}
