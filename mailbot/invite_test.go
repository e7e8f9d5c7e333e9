package mailbot

import (
	"strings"
	"testing"
)

// TestCalendarUIDsAcrossDatabases: two new databases (last season's and
// this one's) each book their first booking; the invitations' UIDs must
// differ, or the second would overwrite the first in the calendars of
// people who were at both. A session titled "Better Days: …" is not
// prefixed twice.
func TestCalendarUIDsAcrossDatabases(t *testing.T) {
	t.Parallel()
	var uids []string
	for range 2 {
		d := newDesk(t, nil)
		d.send(mary, "sessions", "")
		list := d.one(mary)
		list.must(t, "1. Better Days: what makes a good day?")
		d.reply(mary, list, "1")
		conf := d.one(mary)
		if len(conf.Invites) != 1 {
			t.Fatalf("confirmation has %d invites, want 1", len(conf.Invites))
		}
		ev := conf.Invites[0].Obj.Events[0]
		if ev.Summary != "Better Days: what makes a good day?" {
			t.Errorf("SUMMARY = %q, want the title once prefixed", ev.Summary)
		}
		if !strings.HasPrefix(ev.UID, "booking-1.") || !strings.HasSuffix(ev.UID, "@localhost") {
			t.Errorf("UID = %q, want booking-1.TOKEN@localhost", ev.UID)
		}
		uids = append(uids, ev.UID)
	}
	if uids[0] == uids[1] {
		t.Errorf("two databases gave their first bookings the same UID %q", uids[0])
	}
}
