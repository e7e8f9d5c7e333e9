package mailbot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/store"
)

const mary, sam, ann = "mary@example.org", "sam@example.org", "ann@example.org"

func TestListThenNumberBooks(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "sessions", "")
	list := d.one(mary)
	list.must(t, "1. Better Days: what makes a good day?", "Tuesday 22 June 2027, 10am to 11am",
		"4. Giving my carers a break", "20 places left", "Reply with the number to book")
	if !strings.HasPrefix(list.ReplyTo, "betterdays+") || !strings.HasSuffix(list.ReplyTo, "@localhost") {
		t.Errorf("Reply-To = %q, want a betterdays+token@localhost address", list.ReplyTo)
	}
	d.reply(mary, list, "4")
	conf := d.one(mary)
	conf.must(t, "You are booked on:", "Giving my carers a break and doing what I want to do",
		"Thursday 15 July 2027, 1pm to 2pm", "Online (Microsoft Teams)", "reply CANCEL")
	if len(conf.Invites) != 1 {
		t.Fatalf("confirmation has %d invites, want 1", len(conf.Invites))
	}
	inv := conf.Invites[0]
	if !strings.Contains(inv.ContentType, "method=REQUEST") || inv.Obj.Method != calendar.Request {
		t.Errorf("invite Content-Type %q, METHOD %q; want REQUEST in both", inv.ContentType, inv.Obj.Method)
	}
	ev := inv.Obj.Events[0]
	if want := time.Date(2027, 7, 15, 13, 0, 0, 0, deskNow.Location()); !ev.Start.Equal(want) || ev.TZID != "Europe/London" {
		t.Errorf("DTSTART = %v (TZID %q), want %v Europe/London", ev.Start, ev.TZID, want)
	}
	if !strings.HasPrefix(ev.UID, "booking-") || !strings.HasSuffix(ev.UID, "@localhost") {
		t.Errorf("UID = %q", ev.UID)
	}
	if got := d.bookings("bd-2027-04"); !slices.Equal(got, []string{mary + " confirmed 1"}) {
		t.Errorf("bookings = %q", got)
	}
	// Replying to the same list again books nothing new.
	d.reply(mary, list, "4")
	d.one(mary).must(t, "already booked")
	// A number not on the list is said so, with the list again.
	d.reply(mary, list, "12")
	again := d.one(mary)
	again.must(t, `I couldn't find a session for "number 12".`, "1. Better Days: what makes a good day?")
	again.mustNot(t, "passed your email")
}

// TestListLeavesOutWhatTheyRuleOut: "what's on?" with days or months
// they can't do lists the others; when that leaves none, all of them.
func TestListLeavesOutWhatTheyRuleOut(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "what's on", "what have you got that isn't on a tuesday? I work tuesdays")
	got := d.one(mary)
	got.must(t, "These are the sessions coming up that fit what you said:", "1. Giving my carers a break", "Thursday 15 July 2027")
	got.mustNot(t, "Tuesday", "passed your email")
	d.send(mary, "sessions", "What sessions are there? Not in July or August, we are away.")
	got = d.one(mary)
	got.must(t, "1. Better Days: what makes a good day?", "The role of charities and forums")
	got.mustNot(t, "July", "August")
	d.send(mary, "near Weymouth?", "Hello, is anything happening near Weymouth? I don't use the computer for meetings.")
	got = d.one(mary)
	got.must(t, "1. By your side", "Weymouth community centre")
	got.mustNot(t, "2.", "passed your email")
	// Asked which, what they ruled out is not among the choices.
	d.send(mary, "August", "The Weymouth one is too far for me without a car. Is there another one in August I could come to?")
	got = d.one(mary)
	got.must(t, "Which did you mean?", "1. New to caring?", "2. How do we support carers")
	got.mustNot(t, "By your side")
	d.send(mary, "sessions", "What sessions are there? Not in June, July, August or September.")
	got = d.one(mary)
	got.must(t, "These are the sessions coming up:", "1. Better Days: what makes a good day?", "By your side")
}

// TestBookAndList: asked what is on and for one of them, the one is
// booked and the rest listed.
func TestBookAndList(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "Sessions", "Could you tell me what sessions you have on? I'd like to book the one on 15 July if there's still room.")
	got := d.one(mary)
	got.must(t, "You are booked on:", "Giving my carers a break", "These are the sessions coming up:", "1. Better Days: what makes a good day?")
	if strings.Count(got.Text, "Giving my carers a break") != 1 {
		t.Errorf("the session booked is listed again:\n%s", got.Text)
	}
	d.send(ann, "Sessions", "I'd like to book the one on 15 July please")
	d.one(ann).mustNot(t, "These are the sessions coming up:")
}

// TestBookEverything: "everything except…" and "the first three" book
// that many of the sessions coming up.
func TestBookEverything(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "Better Days", "I would like to come to everything except the charities one - I have quite enough of charities!")
	d.one(mary).must(t, `You asked: to book every session coming up except`, "You are booked on these:", "By your side")
	d.send(ann, "booking", "Hi! I'd like to book the first three sessions please.")
	d.one(ann).must(t, "You asked: to book the first 3 sessions coming up", "Learning new skills")
	for id, want := range map[string][]string{
		"bd-2027-01": {ann + " confirmed 1", mary + " confirmed 1"},
		"bd-2027-03": {ann + " confirmed 1", mary + " confirmed 1"},
		"bd-2027-04": {mary + " confirmed 1"},
		"bd-2027-08": {mary + " confirmed 1"},
		"bd-2027-09": nil,
	} {
		got := d.bookings(id)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("bookings on %s = %q, want %q", id, got, want)
		}
	}
}

// TestPlacesLeftAfterBooking: asked whether there is room and booked in
// the same message, the places left are those after the booking.
func TestPlacesLeftAfterBooking(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "Weymouth", "Is there still room for two on the Weymouth one? If it's full please put us on the waiting list, me and my husband Bill.")
	got := d.one(mary)
	got.must(t, "You are booked on:", "Places: 2", "There are 18 places left on:")
	got.mustNot(t, "20 places left")
}

// TestBookFromWords is what people write, against the demo timetable, and
// what is booked for it.
func TestBookFromWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text    string
		booked  map[string]string // session id → "status places"
		says    []string
		invites int
	}{
		{"Please book me on 15 July", map[string]string{"bd-2027-04": "confirmed 1"}, []string{"You are booked on:", `You asked: to book "15 july"`}, 1},
		{"book me on new to caring", map[string]string{"bd-2027-06": "confirmed 1"}, []string{"New to caring?"}, 1},
		{"book me on 15 July and 26 August", map[string]string{"bd-2027-04": "confirmed 1", "bd-2027-08": "confirmed 1"}, []string{"You are booked on these:"}, 2},
		{"Can I come to the 15th July one please? It will be me and my husband.", map[string]string{"bd-2027-04": "confirmed 2"}, []string{"Places: 2"}, 1},
		{"book me on the August one", nil, []string{`More than one session matches`, "New to caring?", "By your side", "Reply with the number to book"}, 0},
		{"book me on 25 December", nil, []string{`I couldn't find a session for "25 december"`, "These are the sessions coming up"}, 0},
		{"I'd like to book a place", nil, []string{"These are the sessions coming up"}, 0},
		{"Book me for 15 July. I use a wheelchair. My number is 07700 900123.", map[string]string{"bd-2027-04": "confirmed 1"}, []string{"You told us: I use a wheelchair", "We will call you on: 07700 900123"}, 1},
		{"Hello, how does this work?", nil, []string{"Here is what you can do"}, 0},
		{"asdfgh qwerty", nil, []string{"passed your email to a member of the Better Days team"}, 0},
	} {
		t.Run(tc.text, func(t *testing.T) {
			d := newDesk(t, nil)
			d.send(mary, "Better Days", tc.text)
			m := d.one(mary)
			m.must(t, tc.says...)
			if len(m.Invites) != tc.invites {
				t.Errorf("%d invites, want %d", len(m.Invites), tc.invites)
			}
			got := map[string]string{}
			d.st.ExportBookings(context.Background(), "", func(b store.Booking) error {
				got[b.Session.ID] = fmt.Sprintf("%s %d", b.Status, b.Places)
				return nil
			})
			if fmt.Sprint(got) != fmt.Sprint(map[string]string(tc.booked)) && !(len(got) == 0 && tc.booked == nil) {
				t.Errorf("booked %v, want %v", got, tc.booked)
			}
		})
	}
}

func TestWaitingListAndPromotion(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.timetable("small,session,Small group,2027-07-20 10:00,2027-07-20 11:00,2,The library,\n")
	d.send(mary, "book", "Please book Small group for 2")
	maryConf := d.one(mary)
	maryConf.must(t, "You are booked on:", "Places: 2")

	d.send(sam, "book", "book me on the small group please")
	samWait := d.one(sam)
	samWait.must(t, "full, so I have put you on the waiting list", "You are number 1 on the waiting list")
	if len(samWait.Invites) != 0 {
		t.Error("a waiting-list reply carries a calendar invite")
	}
	d.send(ann, "book", "small group on 20 July")
	d.one(ann).must(t, "number 2 on the waiting list")
	d.send(sam, "again", "book me on the small group please")
	d.one(sam).must(t, "already booked", "number 1 on the waiting list")
	if got := d.bookings("small"); !slices.Equal(got, []string{mary + " confirmed 2", sam + " waitlisted 1", ann + " waitlisted 1"}) {
		t.Fatalf("bookings = %q", got)
	}

	d.reply(mary, maryConf, "CANCEL")
	cancelled := d.one(mary)
	cancelled.must(t, "I have cancelled:", "Small group")
	if len(cancelled.Invites) != 1 || cancelled.Invites[0].Obj.Method != calendar.Cancel ||
		!strings.Contains(cancelled.Invites[0].ContentType, "method=CANCEL") {
		t.Fatalf("cancellation invites = %+v, want one METHOD:CANCEL", cancelled.Invites)
	}
	if c, r := cancelled.Invites[0].Obj.Events[0], maryConf.Invites[0].Obj.Events[0]; c.UID != r.UID || c.Sequence <= r.Sequence {
		t.Errorf("CANCEL UID %q SEQUENCE %d; REQUEST was %q %d: want the same UID and a higher SEQUENCE", c.UID, c.Sequence, r.UID, r.Sequence)
	}
	promoted := d.one(sam)
	promoted.must(t, "a place has come free, and it is yours", "Small group")
	if promoted.Header.Get("Auto-Submitted") != "auto-generated" || len(promoted.Invites) != 1 {
		t.Errorf("promotion: Auto-Submitted %q, %d invites", promoted.Header.Get("Auto-Submitted"), len(promoted.Invites))
	}
	d.one(ann).must(t, "a place has come free") // two places freed: both waiting fit
	if got := d.bookings("small"); !slices.Equal(got, []string{sam + " confirmed 1", ann + " confirmed 1"}) {
		t.Errorf("after cancel, bookings = %q", got)
	}
	// The promotion is a confirmation like any other: CANCEL to it works.
	d.reply(sam, promoted, "cancel please")
	d.one(sam).must(t, "I have cancelled:")
}

func TestDropIns(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "one to one", "Can I have a one-to-one chat with someone? Thursday mornings suit me, but not in July. My phone is 01305 221000.")
	list := d.one(mary)
	list.must(t, "These one-to-one times are free:", "1. Drop-in conversation\n   Thursday 24 June 2027, 10am to 10:30am", "2. Drop-in conversation\n   Thursday 24 June 2027, 10:30am to 11am")
	list.mustNot(t, "2pm", "July")

	d.send(sam, "drop in", "could I book a drop-in please")
	samList := d.one(sam)
	samList.must(t, "1. Drop-in conversation\n   Thursday 24 June 2027, 10am")

	d.reply(mary, list, "1")
	conf := d.one(mary)
	conf.must(t, "You are booked on:", "Thursday 24 June 2027, 10am to 10:30am", "We will call you on: 01305 221000")
	// Sam picks the same time from an older list: never a double booking.
	d.reply(sam, samList, "1")
	taken := d.one(sam)
	taken.must(t, "someone else has just taken this time", "These one-to-one times are free:", "1. Drop-in conversation\n   Thursday 24 June 2027, 10:30am")
	if got := d.bookings("dropin-2027-06-24-1000"); !slices.Equal(got, []string{mary + " confirmed 1"}) {
		t.Errorf("slot bookings = %q", got)
	}
	d.reply(sam, taken, "9")
	d.one(sam).must(t, `I couldn't find a session for "number 9".`, "These one-to-one times are free:", "1. Drop-in conversation\n   Thursday 24 June 2027, 10:30am")
	d.reply(sam, taken, "the first one please")
	d.one(sam).must(t, "You are booked on:", "10:30am")

	// Nothing suits: say so, and offer what there is.
	d.send(ann, "chat", "Can I speak to someone? Only on a Saturday.")
	d.one(ann).must(t, "no one-to-one times free that suit what\nyou said", "1. Drop-in conversation")
}

func TestCancelAndMove(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "book me on 15 July and 26 August")
	both := d.one(mary)

	// A reply CANCEL to a confirmation of two asks which.
	d.reply(mary, both, "cancel")
	d.one(mary).must(t, "Which booking would you like to cancel?", "1. Giving my carers", "2. By your side")

	d.send(mary, "cancel", "I can't make it any more, sorry")
	ask := d.one(mary)
	ask.must(t, "Which booking would you like to cancel?", "1. Giving my carers", "2. By your side", "Reply with the number to cancel it.")
	ask.mustNot(t, "places left")
	d.reply(mary, ask, "2")
	done := d.one(mary)
	done.must(t, "I have cancelled:", "By your side")
	done.mustNot(t, "Giving my carers")

	d.send(mary, "move", "Can I move to the 10 August one instead?")
	moved := d.one(mary)
	moved.must(t, "You are booked on:", "New to caring?", "I have cancelled:", "Giving my carers")
	methods := []calendar.Method{}
	for _, inv := range moved.Invites {
		methods = append(methods, inv.Obj.Method)
	}
	if !slices.Equal(methods, []calendar.Method{calendar.Request, calendar.Cancel}) {
		t.Errorf("move invites = %v, want REQUEST then CANCEL", methods)
	}
	if got := d.bookings(""); !slices.Equal(got, []string{mary + " confirmed 1"}) {
		t.Errorf("bookings after move = %q", got)
	}
	d.send(mary, "cancel", "please cancel 10 August")
	d.one(mary).must(t, "I have cancelled:", "New to caring?")
	d.send(mary, "cancel", "cancel")
	d.one(mary).must(t, "You don't have any bookings with us")
}

func TestMoveToFullSessionKeepsPlace(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.timetable("full,session,Gardening club,2027-07-20 10:00,2027-07-20 11:00,1,The library,\n")
	d.send(sam, "book", "book me on the gardening club")
	d.one(sam)
	d.send(mary, "book", "book me on 15 July")
	d.one(mary)
	d.send(mary, "move", "can I change to the gardening club instead?")
	m := d.one(mary)
	m.must(t, "put you on the waiting list", "You keep your place on:", "Giving my carers")
	if got := d.bookings("bd-2027-04"); !slices.Equal(got, []string{mary + " confirmed 1"}) {
		t.Errorf("old booking = %q, want kept", got)
	}
}

func TestOffersBelongToTheirPerson(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "sessions", "what's on?")
	list := d.one(mary)
	// Sam replies to Mary's list (forwarded to him, say) with a number.
	d.reply(sam, list, "2")
	d.one(sam).mustNot(t, "You are booked")
	if got := d.bookings(""); len(got) != 0 {
		t.Errorf("bookings = %q, want none", got)
	}
}

func TestRemindersOnceAcrossRestart(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "book me on 22 June")
	conf := d.one(mary)
	starts := time.Date(2027, 6, 22, 10, 0, 0, 0, deskNow.Location())
	remind := func(b *Bot, at time.Time) int {
		t.Helper()
		d.clock.Set(at)
		n, err := b.SendReminders(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := remind(d.bot, starts.Add(-49*time.Hour)); n != 0 {
		t.Errorf("49h before: %d reminders, want 0", n)
	}
	if n := remind(d.bot, starts.Add(-47*time.Hour)); n != 1 {
		t.Errorf("47h before: %d reminders, want 1", n)
	}
	r := d.one(mary)
	r.must(t, "A reminder that you are booked on this, in 2 days", "reply NO")
	if n := remind(d.bot, starts.Add(-46*time.Hour)); n != 0 {
		t.Errorf("again: %d reminders, want 0", n)
	}
	// A restart: a new bot on the same database owes nothing more.
	restarted, err := NewBot(d.bot.cfg, d.st, d.bot.tpl, d.clock, d.bot.log, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := remind(restarted, starts.Add(-45*time.Hour)); n != 0 {
		t.Errorf("after restart: %d reminders, want 0", n)
	}
	if n := remind(restarted, starts.Add(-119*time.Minute)); n != 1 {
		t.Errorf("2h before: %d reminders, want 1", n)
	}
	d.one(mary).must(t, "in 2 hours")
	if n := remind(restarted, starts.Add(time.Minute)); n != 0 {
		t.Errorf("after start: %d reminders, want 0", n)
	}
	if len(d.mail(mary)) != 0 {
		t.Error("more mail after the reminders")
	}
	_ = conf
}

func TestReminderNoCancels(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.timetable("one,session,Gardening club,2027-06-25 10:00,2027-06-25 11:00,1,The library,\n")
	d.send(mary, "book", "book the gardening club")
	d.one(mary)
	d.send(sam, "book", "book the gardening club")
	d.one(sam).must(t, "waiting list")
	d.clock.Set(time.Date(2027, 6, 24, 10, 0, 0, 0, deskNow.Location()))
	if _, err := d.bot.SendReminders(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := d.one(mary)
	if len(d.mail(sam)) != 0 {
		t.Error("someone on the waiting list was reminded")
	}
	d.reply(mary, r, "No")
	d.one(mary).must(t, "I have cancelled:", "Gardening club")
	d.one(sam).must(t, "a place has come free")
	// Yes to a reminder keeps the place.
	d.clock.Set(time.Date(2027, 6, 25, 8, 30, 0, 0, deskNow.Location()))
	d.bot.SendReminders(context.Background())
	r = d.one(sam)
	d.reply(sam, r, "Yes")
	d.one(sam).must(t, "Thank you for letting us know. You are still booked on:")
}

func TestCalendarReplies(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "book me on 15 July")
	conf := d.one(mary)
	uid := conf.Invites[0].Obj.Events[0].UID
	// Calendars answer as new messages, citing nothing: what proves one
	// is the sender's provider (DMARC), as for most people's mail.
	proven := "Authentication-Results: localhost; dmarc=pass header.from=example.org\r\n"
	replyAs := func(partstat, from, ar string) {
		ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:" + uid +
			"\r\nDTSTAMP:20270616T090000Z\r\nATTENDEE;PARTSTAT=" + partstat + ":mailto:" + from + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		d.deliver(fmt.Sprintf("%sFrom: %s\r\nTo: %s\r\nSubject: Accepted: x\r\nMessage-ID: <%s-%s-%d@example.org>\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n%s has %s\r\n--b\r\n"+
			"Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n\r\n%s--b--\r\n", ar, from, botAddress, partstat, from, len(ar), from, partstat, ics))
	}
	reply := func(partstat, from string) { replyAs(partstat, from, proven) }
	reply("ACCEPTED", mary)
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("an acceptance was answered: %q", got[0].Subject)
	}
	reply("DECLINED", sam) // not Sam's booking: ignored, and not cancelled
	if got := d.bookings("bd-2027-04"); !slices.Equal(got, []string{mary + " confirmed 1"}) {
		t.Fatalf("someone else's decline changed the booking: %q", got)
	}
	d.mail(sam)
	// A decline in Mary's name that nothing proves is hers (the booking's
	// UID is no secret) cancels nothing until she says so.
	replyAs("DECLINED", mary, "")
	d.one(mary).must(t, "- cancel your place on:")
	if got := d.bookings("bd-2027-04"); !slices.Equal(got, []string{mary + " confirmed 1"}) {
		t.Fatalf("an unproven decline changed the booking: %q", got)
	}
	reply("DECLINED", mary)
	m := d.one(mary)
	m.must(t, "I have cancelled:", "Giving my carers")
	if len(m.Invites) != 1 || m.Invites[0].Obj.Method != calendar.Cancel {
		t.Error("a decline's confirmation lacks its METHOD:CANCEL")
	}
}

func TestStaffAttendees(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send("Mary Jones <"+mary+">", "book", "Please book me on 15 July for 2. I'll need a BSL interpreter. 07700 900123")
	d.one(mary)
	const officer = "officer@localhost"
	proven := "Authentication-Results: localhost; auth=pass smtp.auth=" + officer
	d.send(officer, "attendees", "attendees 15 July", proven)
	list := d.one(officer)
	list.must(t, "Attendee list: Giving my carers", "1. Mary Jones <mary@example.org>, 2 places, tel 07700 900123", "Needs: I'll need a BSL interpreter")

	for name, header := range map[string][]string{
		"no Authentication-Results": nil,
		"another server's":          {"Authentication-Results: mx.evil.example; auth=pass smtp.auth=" + officer},
		"forged below ours":         {"Authentication-Results: localhost; none", proven},
		"pass for someone else":     {"Authentication-Results: localhost; auth=pass smtp.auth=mary@example.org"},
	} {
		d.send(officer, "attendees", "attendees 15 July", header...)
		if m := d.one(officer); strings.Contains(m.Text, "mary@example.org") {
			t.Errorf("%s: attendee list sent to an unproven sender", name)
		}
	}
	d.send(mary, "attendees", "attendees 15 July", "Authentication-Results: localhost; auth=pass smtp.auth="+mary)
	if m := d.one(mary); strings.Contains(m.Text, "Attendee list") {
		t.Error("a member of the public got an attendee list")
	}
}

// TestTimetableChangeTellsBooked re-imports a session at a new time.
func TestTimetableChangeTellsBooked(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "book me on 15 July")
	first := d.one(mary).Invites[0].Obj.Events[0]
	d.timetable("bd-2027-04,session,Giving my carers a break and doing what I want to do,2027-07-15 14:00,2027-07-15 15:00,20,Online (Microsoft Teams),\n")
	m := d.one(mary)
	m.must(t, "has changed", "Thursday 15 July 2027, 2pm to 3pm")
	ev := m.Invites[0].Obj.Events[0]
	if ev.UID != first.UID || ev.Sequence <= first.Sequence || ev.Start.Hour() != 14 {
		t.Errorf("update UID %q SEQ %d start %v; first %q %d", ev.UID, ev.Sequence, ev.Start, first.UID, first.Sequence)
	}
	// The description alone changing tells nobody.
	d.timetable("bd-2027-04,session,Giving my carers a break and doing what I want to do,2027-07-15 14:00,2027-07-15 15:00,20,Online (Microsoft Teams),New words\n")
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("a description change emailed %d messages", len(got))
	}
}

// TestConcurrentBookings is 200 people asking for a 20-place session at
// once, handled concurrently against one database file.
func TestConcurrentBookings(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.timetable("busy,session,Gardening club,2027-07-20 10:00,2027-07-20 11:00,20,The hall,\n")
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := fmt.Sprintf("p%03d@example.org", i)
			raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: book\r\nMessage-ID: <c%d@example.org>\r\n\r\nPlease book me on the gardening club\r\n", from, botAddress, i)
			errs <- d.bot.Handle(context.Background(), Delivery{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(1000 + i), Raw: []byte(raw)})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	count := map[string]int{}
	places := 0
	d.st.ExportBookings(context.Background(), "busy", func(b store.Booking) error {
		count[b.Status]++
		if b.Status == store.Confirmed {
			places += b.Places
		}
		return nil
	})
	if count[store.Confirmed] != 20 || count[store.Waitlisted] != 180 || places != 20 {
		t.Errorf("bookings %v, %d places confirmed; want 20 confirmed, 180 waitlisted", count, places)
	}
	for i := range 200 {
		rows, err := d.st.OutboxByRcpt(context.Background(), fmt.Sprintf("p%03d@example.org", i))
		if err != nil || len(rows) != 1 {
			t.Fatalf("p%03d has %d replies queued (%v), want 1", i, len(rows), err)
		}
	}
}

// BenchmarkHandleBooking measures one booking request from arrival to
// commit (understanding, the booking, the rendered confirmation with its
// .ics queued), on a real SQLite file with synchronous=FULL. Method:
// go test -run X -bench HandleBooking -benchmem ./mailbot on the CI
// machine; the disk's fsync dominates.
func BenchmarkHandleBooking(b *testing.B) {
	d := newDesk(b, nil)
	d.timetable("big,session,Gardening club,2027-07-20 10:00,2027-07-20 11:00,1000000,The hall,\n")
	i := 0
	for b.Loop() {
		i++
		raw := fmt.Sprintf("From: p%d@example.org\r\nTo: %s\r\nSubject: book\r\nMessage-ID: <b%d@example.org>\r\n\r\nPlease book me on the gardening club for 2. I use a wheelchair.\r\n", i, botAddress, i)
		if err := d.bot.Handle(context.Background(), Delivery{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(i), Raw: []byte(raw)}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSignatureChoosesNothing: a job title and an organisation under a
// name are full of session words; they book nothing, are no access need,
// and the phone under them is still the person's.
func TestSignatureChoosesNothing(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send("Cath Davies <cath@example.org>", "Booking", "Please book me on 15 July.\r\n\r\nCath Davies\r\nLearning Disability Partnership Board, community rep\r\nTel 01305 221000")
	got := d.one("cath@example.org")
	got.must(t, "You are booked on:", "Giving my carers a break", "We will call you on: 01305 221000")
	got.mustNot(t, "Learning new skills", "Accessing the local community", "You told us:")
	for _, s := range []string{"bd-2027-03", "bd-2027-05"} {
		if b := d.bookings(s); len(b) != 0 {
			t.Errorf("the signature booked %s: %q", s, b)
		}
	}
}

// waitingForGardening is a desk where Sam holds the Gardening club's one
// place and Mary (on the mailing list, if listed) waits for it, with the
// waiting-list email she got.
func waitingForGardening(t *testing.T, listed bool) (*rig, *sent) {
	t.Helper()
	d := newDesk(t, nil)
	d.timetable("tiny,session,Gardening club,2027-07-20 10:00,2027-07-20 11:00,1,The library,\n")
	d.send(sam, "book", "book me on the gardening club")
	d.one(sam)
	if listed {
		d.joined(mary)
	}
	d.send(mary, "book", "book me on the gardening club")
	waiting := d.one(mary)
	waiting.must(t, "waiting list")
	return d, waiting
}

// TestWholeRequests: what a request says of all, one of, or instead of,
// is done as it says.
func TestWholeRequests(t *testing.T) {
	t.Parallel()
	t.Run("off the waiting list, a one-to-one instead", func(t *testing.T) {
		d, waiting := waitingForGardening(t, false)
		d.reply(mary, waiting, "Hi, I don't need to wait for the gardening club now, could I have one of the one to one chats instead? Afternoons are better for me.")
		got := d.one(mary)
		got.must(t, "I have taken you off the waiting list for:", "Gardening club", "These one-to-one times are free:", "2pm")
		got.mustNot(t, "10am to 10:30am")
		if b := d.bookings("tiny"); len(b) != 1 {
			t.Errorf("gardening club bookings = %q, want Sam's alone", b)
		}
	})
	t.Run("one of two slots", func(t *testing.T) {
		d := newDesk(t, nil)
		d.send(mary, "drop-in", "Could I have a one-to-one chat please?")
		d.reply(mary, d.one(mary), "1 or 2 is fine")
		d.one(mary).must(t, "You are booked on:", "Thursday 24 June 2027, 10am")
		if a, b := d.bookings("dropin-2027-06-24-1000"), d.bookings("dropin-2027-06-24-1030"); len(a)+len(b) != 1 {
			t.Errorf("1 or 2 booked %q and %q, want one of them", a, b)
		}
	})
	t.Run("cancel all", func(t *testing.T) {
		d := newDesk(t, nil)
		d.send(mary, "book", "book me on 15 July and 26 August")
		d.one(mary)
		d.send(mary, "cancel", "Please cancel all my bookings")
		d.one(mary).must(t, "I have cancelled:", "Giving my carers", "By your side")
		if got := d.bookings(""); len(got) != 0 {
			t.Errorf("bookings %q after cancelling all", got)
		}
	})
	t.Run("off the waiting list, not the mailing list", func(t *testing.T) {
		d, _ := waitingForGardening(t, true)
		d.send(mary, "waiting list", "I'm on the waiting list for the gardening club, please take me off it")
		got := d.one(mary)
		got.must(t, "I have taken you off the waiting list for:", "Gardening club")
		got.mustNot(t, "I have cancelled")
		if got := d.bookings("tiny"); !slices.Equal(got, []string{sam + " confirmed 1"}) {
			t.Errorf("bookings %q, want Mary off the waiting list", got)
		}
		if !d.subscribed(mary) {
			t.Error("leaving a waiting list took Mary off the mailing list")
		}
	})
	t.Run("the one their wishes leave", func(t *testing.T) {
		d := newDesk(t, nil)
		d.send(mary, "July", "I'd like to come to one of the July sessions but not a morning one, mornings are when the carers come in.")
		d.one(mary).must(t, "You are booked on:", "Giving my carers a break")
		for _, id := range []string{"bd-2027-03", "bd-2027-05"} {
			if b := d.bookings(id); len(b) > 0 {
				t.Errorf("%s booked %q: a morning one", id, b)
			}
		}
	})
	t.Run("a companion on one of two", func(t *testing.T) {
		d := newDesk(t, nil)
		d.send(mary, "bookings", "Please book me on the 22nd and the 29th, and my wife on the 22nd too.")
		d.one(mary).must(t, "You are booked on these:")
		if a, b := d.bookings("bd-2027-01"), d.bookings("bd-2027-02"); !slices.Equal(a, []string{mary + " confirmed 2"}) || !slices.Equal(b, []string{mary + " confirmed 1"}) {
			t.Errorf("bookings %q and %q, want two places on the 22nd and one on the 29th", a, b)
		}
	})
	t.Run("a one-to-one and a group session", func(t *testing.T) {
		d := newDesk(t, nil)
		d.send(mary, "two things", "Could I have a one-to-one at County Hall on the 1st July, half ten if you have it, and also a place on the learning new skills session at the library the following week?")
		got := d.one(mary)
		got.must(t, "Learning new skills", "Drop-in conversation")
		if b := d.bookings("bd-2027-03"); !slices.Equal(b, []string{mary + " confirmed 1"}) {
			t.Errorf("Learning new skills %q, want Mary booked", b)
		}
		if b := d.bookings("dropin-2027-07-01-1030"); !slices.Equal(b, []string{mary + " confirmed 1"}) {
			t.Errorf("the 10.30 drop-in %q, want Mary booked", b)
		}
	})
	t.Run("take me off, to a confirmation", func(t *testing.T) {
		// To the email about a booking, "take me off" is the mailing
		// list, as it always was: the booking is not guessed away.
		d := newDesk(t, nil)
		d.joined(mary)
		d.send(mary, "book", "book me on Learning new skills")
		conf := d.one(mary)
		d.reply(mary, conf, "please take me off")
		d.mail(mary)
		if d.subscribed(mary) {
			t.Error("still on the mailing list")
		}
		if b := d.bookings("bd-2027-03"); !slices.Equal(b, []string{mary + " confirmed 1"}) {
			t.Errorf("bookings %q, want the place kept", b)
		}
	})
	t.Run("a one-to-one on a day with a group session", func(t *testing.T) {
		d := newDesk(t, nil)
		d.send(mary, "chat", "Can I have a one-to-one chat on the 15th July please?")
		d.one(mary)
		if b := d.bookings("bd-2027-04"); len(b) > 0 {
			t.Errorf("the group session on the 15th was booked %q for a one-to-one", b)
		}
	})
	t.Run("off the waiting list, keeping a booking", func(t *testing.T) {
		d, _ := waitingForGardening(t, false)
		d.send(mary, "book", "book me on Learning new skills")
		d.one(mary).must(t, "You are booked on:")
		d.send(mary, "Waiting list", "I don't need to be on the waiting list any more, thank you. I'm still coming to Learning new skills.")
		d.one(mary).must(t, "I have taken you off the waiting list for:", "Gardening club")
		if got := d.bookings("tiny"); !slices.Equal(got, []string{sam + " confirmed 1"}) {
			t.Errorf("gardening club %q, want Mary off its waiting list", got)
		}
		if got := d.bookings("bd-2027-03"); !slices.Equal(got, []string{mary + " confirmed 1"}) {
			t.Errorf("Learning new skills %q, want Mary's place kept", got)
		}
	})
	t.Run("take me off, to the waiting-list email", func(t *testing.T) {
		d, waiting := waitingForGardening(t, true)
		d.reply(mary, waiting, "please take me off, ive found something else on tuesdays now. thanks")
		d.one(mary).must(t, "I have taken you off the waiting list for:", "Gardening club")
		if got := d.bookings("tiny"); !slices.Equal(got, []string{sam + " confirmed 1"}) {
			t.Errorf("bookings %q, want Mary off the waiting list", got)
		}
		if !d.subscribed(mary) {
			t.Error("'take me off' to the waiting-list email took Mary off the mailing list")
		}
	})
	for _, text := range []string{
		"Something has come up on the 15th. Can I move to 26 August instead?",
		"I can't make the 15 July one but I'd love to do the 26 August one",
	} {
		t.Run(text, func(t *testing.T) {
			d := newDesk(t, nil)
			d.send(mary, "book", "book me on 15 July")
			d.one(mary)
			d.send(mary, "change", text)
			d.one(mary).must(t, "You are booked on:", "By your side", "I have cancelled:", "Giving my carers")
			if got := d.bookings("bd-2027-04"); len(got) != 0 {
				t.Errorf("15 July still booked: %q", got)
			}
			if got := d.bookings("bd-2027-08"); !slices.Equal(got, []string{mary + " confirmed 1"}) {
				t.Errorf("26 August: %q", got)
			}
		})
	}
}

// TestMoveKeepsWhatTheBookingSaid: places, phone and access needs go
// with a move that doesn't repeat them.
func TestMoveKeepsWhatTheBookingSaid(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "Please book me and my husband on 15 July. I use a wheelchair. 07700 900123")
	d.one(mary).must(t, "Places: 2")
	d.send(mary, "move", "Can I move to 26 August instead?")
	moved := d.one(mary)
	moved.must(t, "You are booked on:", "By your side", "Places: 2", "You told us: I use a wheelchair", "We will call you on: 07700 900123")
	if got := d.bookings("bd-2027-08"); !slices.Equal(got, []string{mary + " confirmed 2"}) {
		t.Errorf("26 August: %q, want 2 places", got)
	}
}

// TestBookByPlace: "the Weymouth one" is the session at Weymouth.
func TestBookByPlace(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "Could you book me on the Weymouth one please?")
	d.one(mary).must(t, "You are booked on:", "By your side")
	d.send(sam, "book", "I'd like the one at Dorchester library")
	d.one(sam).must(t, "You are booked on:", "Learning new skills")
	d.send(ann, "hello", "I live in Weymouth, what's on?")
	d.one(ann).must(t, "These are the sessions coming up:")
}

// TestSameSessionNamedTwice: words that fit several sessions, beside
// other words that chose one of them, are not asked about again.
func TestSameSessionNamedTwice(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "But I could do the independence one on Teams at the end of June, please book me on that.")
	r := d.one(mary)
	r.must(t, "You are booked on:", "Promoting independence")
	r.mustNot(t, "Which did you mean?")
	if b := d.bookings("bd-2027-01"); len(b) != 0 {
		t.Errorf("bd-2027-01 bookings = %q", b)
	}
}

// TestBookByPartOfDay: "the afternoon one" names the sessions in the
// afternoon; several fit, so the bot asks which.
func TestBookByPartOfDay(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "Can I book the afternoon one please?")
	ask := d.one(mary)
	ask.must(t, `More than one session matches "the afternoon one"`, "Promoting independence", "Giving my carers a break")
	ask.mustNot(t, "You are booked on:", "Learning new skills")
}
