package mailbot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
)

// TestWithdrawSession: everyone booked gets a kind note with the reason, a
// CANCEL and what else is on (a reply "2" books); everyone waiting is told;
// staff get who was told; reminders stop; run twice, nobody hears twice.
func TestWithdrawSession(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"command", "import"} {
		t.Run(how, func(t *testing.T) {
			d := newDesk(t, nil)
			d.timetable("small,session,Gardening chat,2027-06-25 10:00,2027-06-25 11:00,1,The library,\n")
			d.send("Mary Jones <"+mary+">", "book", "book the gardening chat. 07700 900123")
			conf := d.one(mary)
			first := conf.Invites[0].Obj.Events[0]
			d.send(sam, "book", "book the gardening chat")
			d.one(sam).must(t, "waiting list")

			withdraw := func() {
				t.Helper()
				if how == "command" {
					if _, _, err := d.bot.Withdraw(context.Background(), "small", "Our speaker is unwell."); err != nil {
						t.Fatal(err)
					}
					return
				}
				res := d.importCSV("id,kind,title,starts,ends,capacity,location,description,status\n" +
					"small,session,Gardening chat,2027-06-25 10:00,2027-06-25 11:00,1,The library,,cancelled\n")
				if res.Withdrawn > 1 {
					t.Errorf("import: %+v", res)
				}
			}
			withdraw()
			m := d.one(mary)
			m.must(t, "this session has been cancelled", "Gardening chat", "Your place is cancelled",
				"these are the sessions coming up:", "1. Better Days: what makes a good day?")
			if how == "command" {
				m.must(t, "The team say: Our speaker is unwell.")
			}
			if len(m.Invites) != 1 || m.Invites[0].Obj.Method != calendar.Cancel {
				t.Fatalf("withdrawn note has %d invites, want one CANCEL", len(m.Invites))
			}
			if ev := m.Invites[0].Obj.Events[0]; ev.UID != first.UID || ev.Sequence <= first.Sequence || ev.Status != "CANCELLED" {
				t.Errorf("CANCEL: UID %q SEQUENCE %d STATUS %q; first %q %d", ev.UID, ev.Sequence, ev.Status, first.UID, first.Sequence)
			}
			d.one(sam).must(t, "You were on its waiting list")
			st := d.one(officer)
			st.must(t, "Withdrawn: Gardening chat", "Were booked (1):", "Mary Jones <"+mary+">, tel 07700 900123", "Were waiting (1):", sam)
			if got := d.bookings("small"); len(got) != 0 {
				t.Errorf("bookings left on a withdrawn session: %q", got)
			}

			// Again: nobody is told twice.
			withdraw()
			if n := len(d.mail(mary)) + len(d.mail(sam)) + len(d.mail(officer)); n != 0 {
				t.Errorf("withdrawing again sent %d messages", n)
			}

			// The numbered list books by reply, and the withdrawn one is
			// never offered or booked again.
			d.reply(mary, m, "2")
			d.one(mary).must(t, "You are booked on:", "Promoting independence")
			d.send(mary, "sessions", "what sessions are there?")
			d.one(mary).mustNot(t, "Gardening chat")

			// No reminder for it.
			d.clock.Set(time.Date(2027, 6, 24, 10, 0, 0, 0, deskNow.Location()))
			if _, err := d.bot.SendReminders(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, r := range append(d.mail(mary), d.mail(sam)...) {
				if strings.Contains(r.Text, "Gardening chat") {
					t.Errorf("reminder of a withdrawn session: %q", r.Subject)
				}
			}
		})
	}
}

// TestBookWithdrawnByOldList: a reply to a list sent before the session
// was withdrawn is told, and books nothing.
func TestBookWithdrawnByOldList(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "sessions", "what sessions are there?")
	list := d.one(mary)
	if _, _, err := d.bot.Withdraw(context.Background(), "bd-2027-01", ""); err != nil {
		t.Fatal(err)
	}
	d.reply(mary, list, "1")
	d.one(mary).must(t, "this session has been cancelled, so I could not book it", "what makes a good day?")
	if got := d.bookings("bd-2027-01"); len(got) != 0 {
		t.Errorf("booked on a withdrawn session: %q", got)
	}
}

// TestCapacityChange: raising capacity confirms the waiting list in order,
// each told with an invitation; lowering it below what is booked keeps
// everyone booked and warns the operator.
func TestCapacityChange(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	row := func(capacity string) string {
		return "id,kind,title,starts,ends,capacity,location,description\nsmall,session,Gardening chat,2027-06-25 10:00,2027-06-25 11:00," + capacity + ",The library,\n"
	}
	d.importCSV(row("1"))
	people := []string{mary, sam, "ann@example.org", "bob@example.org"}
	for _, p := range people {
		d.send(p, "book", "book the gardening chat")
		d.one(p)
	}
	res := d.importCSV(row("3"))
	if res.Promoted != 2 || len(res.Warnings) != 0 {
		t.Errorf("raise to 3: %+v, want 2 promoted, no warnings", res)
	}
	for _, p := range people[1:3] {
		m := d.one(p)
		m.must(t, "a place has come free, and it is yours", "Gardening chat")
		if len(m.Invites) != 1 || m.Invites[0].Obj.Method != calendar.Request {
			t.Errorf("%s: promotion has %d invites, want one REQUEST", p, len(m.Invites))
		}
	}
	if got := d.mail("bob@example.org"); len(got) != 0 {
		t.Errorf("bob, fourth, was told %q", got[0].Subject)
	}
	want := []string{mary + " confirmed 1", sam + " confirmed 1", "ann@example.org confirmed 1", "bob@example.org waitlisted 1"}
	if got := d.bookings("small"); !slices.Equal(got, want) {
		t.Errorf("after the raise: %q, want %q", got, want)
	}

	res = d.importCSV(row("1"))
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "capacity 1 is below the 3 places already booked") {
		t.Errorf("lower to 1: warnings %q", res.Warnings)
	}
	if got := d.bookings("small"); !slices.Equal(got, want) {
		t.Errorf("after the cut: %q, want everyone kept: %q", got, want)
	}
	for _, p := range people {
		if got := d.mail(p); len(got) != 0 {
			t.Errorf("%s was emailed about a cut in capacity: %q", p, got[0].Subject)
		}
	}
}
