package telephony

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"minipbx/telephony/channel"
	"minipbx/telephony/store"
)

// TestServiceUpdateDialPlan: the dial plan is replaced through the real
// store's scoped transaction, the running exchange takes it at once, a
// refused plan changes nothing, and the rest of the configuration is left
// as the store has it.
func TestServiceUpdateDialPlan(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := testConfig()
	cfg.System.InterDigitTimeoutMS, cfg.System.NoAnswerTimeoutS = 4000, 30 // the store's ranges
	if err := db.ImportConfig(cfg); err != nil {
		t.Fatal(err)
	}
	x, err := New(Options{Store: db, SIP: newFakeDialer(channel.SIP), Analog: newFakeDialer(channel.FXS)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = x.Shutdown(ctx)
	})
	ctx := context.Background()
	out, err := adminFor(t, x).UpdateDialPlan(ctx, store.DialPlan{RingGroups: []store.RingGroup{{Name: "sales", Number: "300", Strategy: "ringall",
		Members: []store.GroupMember{{Destination: "ext:201"}, {Destination: "ext:202", RingS: 15}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.RingGroups) != 1 || out.RingGroups[0].Members[1].RingS != 15 {
		t.Fatalf("returned plan %+v", out.RingGroups)
	}
	if g := x.config().RingGroups; len(g) != 1 || g[0].Number != "300" {
		t.Errorf("running configuration not reloaded: %+v", g)
	}
	_, err = adminFor(t, x).UpdateDialPlan(ctx, store.DialPlan{RingGroups: []store.RingGroup{{Name: "sales", Strategy: "ringall",
		Members: []store.GroupMember{{Destination: "ext:999"}}}}})
	var v *store.ValidationError
	if !errors.As(err, &v) || len(v.Fields) == 0 || v.Fields[0].Field != "ring_groups[0].members[0].destination" {
		t.Fatalf("bad member: %v", err)
	}
	if c, _ := db.Config(); len(c.RingGroups) != 1 || c.RingGroups[0].Number != "300" || len(c.Extensions) != 4 {
		t.Errorf("after a refusal the store has %+v, %d extensions", c.RingGroups, len(c.Extensions))
	}
}
