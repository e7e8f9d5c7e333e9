package mailbot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"
	"github.com/betterdays/mailbot/store"
)

// TestBookedWithoutEmail follows someone who phoned and has no email
// address: everything they would have been sent (confirmation, change,
// reminder, withdrawal) goes to staff to read out, phone number first;
// nothing goes to the address that stands for them.
func TestBookedWithoutEmail(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.timetable("walk,session,Summer walk,2027-07-15 13:00,2027-07-15 14:00,10,The quay,\n")
	add := func(tb TakenBooking) store.BookResult {
		t.Helper()
		res, err := d.bot.AddBooking(context.Background(), tb)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	mary := TakenBooking{Name: "Mary Smith", Taken: desk.Taken{SessionID: "walk", Places: 2, Phone: "01305 123456", Needs: "walks with a stick"}}
	if res := add(mary); res != store.Booked {
		t.Fatalf("AddBooking = %v, want booked", res)
	}
	conf := d.one(officer)
	if !strings.HasPrefix(conf.Subject, "Please phone Mary Smith on 01305 123456: ") {
		t.Errorf("subject %q, want the phone number first", conf.Subject)
	}
	if !strings.HasPrefix(conf.Text, "Please phone Mary Smith on 01305 123456.") {
		t.Errorf("text does not start with whom to phone:\n%s", conf.Text)
	}
	conf.must(t, "You are booked on:", "Summer walk", "Places: 2", "walks with a stick")
	if len(conf.Invites) != 0 {
		t.Errorf("staff were sent %d calendar invites meant for Mary", len(conf.Invites))
	}
	// Booked again by phone, she is the same person, already booked.
	if res := add(mary); res != store.AlreadyBooked {
		t.Errorf("second AddBooking = %v, want already booked", res)
	}
	var exported []store.Booking
	if err := d.st.ExportBookings(context.Background(), "walk", func(b store.Booking) error { exported = append(exported, b); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(exported) != 1 || exported[0].Email != "" || exported[0].Source != "cli" || exported[0].Phone != "01305 123456" {
		t.Errorf("exported %+v, want one cli booking, phone kept, email blank", exported)
	}

	// The time changes: staff hear it for her.
	d.timetable("walk,session,Summer walk,2027-07-15 14:00,2027-07-15 15:00,10,The quay,\n")
	d.one(officer).must(t, "Please phone Mary Smith on 01305 123456.", "When was: Thursday 15 July 2027, 1pm to 2pm")

	// The reminder, and the digest's people to phone.
	d.clock.Set(time.Date(2027, 7, 14, 8, 30, 0, 0, deskNow.Location()))
	if _, err := d.bot.SendReminders(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.one(officer).must(t, "Please phone Mary Smith on 01305 123456.", "A reminder that you are booked on this")
	if _, err := d.bot.SendDigest(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.one(officer).must(t, "People to phone (1)", "Mary Smith, 2 places, phone 01305 123456", "Summer walk")

	// Withdrawn: staff read her the news, and the list shows no address.
	if _, _, err := d.bot.Withdraw(context.Background(), "walk", "The quay is closed."); err != nil {
		t.Fatal(err)
	}
	for _, m := range d.mail(officer) {
		switch {
		case strings.HasPrefix(m.Subject, "Please phone"):
			m.must(t, "this session has been cancelled", "The quay is closed.")
		case strings.HasPrefix(m.Subject, "Withdrawn:"):
			m.must(t, "Mary Smith (no email), 2 places, tel 01305 123456")
		default:
			t.Errorf("staff got %q", m.Subject)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range d.rec.Accepted() {
		for _, to := range m.To {
			if store.NoEmail(to) {
				t.Errorf("mail was sent to %s", to)
			}
		}
	}
}

// TestBookedWithEmailByCommand: with an address, the person is emailed
// themselves, as if a member of staff had asked for them.
func TestBookedWithEmailByCommand(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	res, err := d.bot.AddBooking(context.Background(), TakenBooking{Name: "Sam Patel", Email: sam, Taken: desk.Taken{SessionID: "bd-2027-03"}})
	if err != nil || res != store.Booked {
		t.Fatalf("AddBooking = %v, %v", res, err)
	}
	m := d.one(sam)
	m.must(t, "Hello Sam", `A member of the Better Days team asked me to book "Learning new skills" for you.`, "You are booked on:")
	if len(m.Invites) != 1 {
		t.Errorf("%d invites, want 1", len(m.Invites))
	}
	if got := d.mail(officer); len(got) != 0 {
		t.Errorf("staff got %q", got[0].Subject)
	}
	if _, err := d.bot.AddBooking(context.Background(), TakenBooking{Name: "X", Email: "not an address", Taken: desk.Taken{SessionID: "bd-2027-03"}}); err == nil {
		t.Error("AddBooking took a bad address")
	}
}

// TestStaffBookSomeoneByPhone: a proven staff email naming someone with a
// phone number but no address books them, and what they are owed comes
// back to that member of staff to read out.
func TestStaffBookSomeoneByPhone(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_STAFF": officer + ",second@localhost"})
	proven := "Authentication-Results: localhost; auth=pass smtp.auth=" + officer
	d.send(officer, "Booking", "Please book Mary Smith, 01305 123456, on Learning new skills for 2. She uses a wheelchair.\n\nJo", proven)
	m := d.one(officer)
	if !strings.HasPrefix(m.Subject, "Please phone Mary Smith on 01305 123456") {
		t.Errorf("subject %q", m.Subject)
	}
	m.must(t, "Please phone Mary Smith on 01305 123456.", "You are booked on:", "Learning new skills", "Places: 2", "wheelchair")
	if got := d.mail("second@localhost"); len(got) != 0 {
		t.Errorf("the other member of staff got %q; it is for whoever booked her", got[0].Subject)
	}
	if got := d.bookings("bd-2027-03"); len(got) != 1 || got[0] != " confirmed 2" {
		t.Errorf("bookings %q, want Mary's 2 places with no address", got)
	}
	// Without a number, the address is still asked for.
	d.send(officer, "Booking", "Please book Ann Lee on Learning new skills", proven)
	d.one(officer).mustNot(t, "Please phone")
}
