package mailbot

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/store"
)

// The booking conversation end to end: real SMTP in, the bot reading its
// inbox over IMAP, its replies sent over SMTP and read back by each person
// from their own mailbox over IMAP. The real clock is used; the timetable
// is in 2027.

const ebHeader = "id,kind,title,starts,ends,capacity,location,description\n"

// ebTimetable has one session of one place, first in any list, and a
// roomier one after it.
const ebTimetable = ebHeader +
	"eb-1,session,Coffee and conversation,2027-07-15 13:00,2027-07-15 14:00,1,Town Hall,A cup of tea and a chat\n" +
	"eb-2,session,Gardening together,2027-08-26 10:00,2027-08-26 11:30,5,Online (Microsoft Teams),Plants and people\n"

const (
	ebAnn  = "ann@example.org"  // books first
	ebBob  = "bob@example.org"  // finds it full
	ebCara = "cara@example.org" // answers someone else's list
)

var ebLondon = mustLoad("Europe/London")

// ebBot is a bot on its own mail server with ebTimetable imported.
type ebBot struct {
	t   *testing.T
	ms  *mailSystem
	svc *Service
	seq atomic.Int64
}

func ebStart(t *testing.T) *ebBot {
	t.Helper()
	ms := startMailSystem(t)
	svc, _ := startBot(t, ms.config(t, t.TempDir(), nil))
	e := &ebBot{t: t, ms: ms, svc: svc}
	if res := e.importTimetable(ebTimetable); res.Added != 2 {
		t.Fatalf("import: %+v, want 2 added", res)
	}
	return e
}

// importTimetable imports csv as `mailbot sessions import` does, telling
// people booked on a session that moved, and wakes the outbox so what that
// queued goes now rather than at its next once-a-minute look.
func (e *ebBot) importTimetable(csv string) ImportResult {
	e.t.Helper()
	sessions, err := ReadTimetable(strings.NewReader(csv), e.svc.Config.TZ)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := ImportTimetable(context.Background(), e.svc.Store, sessions, time.Now(), e.svc.Bot)
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc.Outbox.Wake()
	return res
}

// send mails the bot a new message from who.
func (e *ebBot) send(who, name, subject, text string) {
	e.t.Helper()
	raw := fmt.Sprintf("From: %s <%s>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <eb%d.%s>\r\nDate: %s\r\n\r\n%s\r\n",
		name, who, botAddress, subject, e.seq.Add(1), who, time.Now().Format(time.RFC1123Z), text)
	e.ms.Send(e.t, who, botAddress, raw)
}

// reply answers m as a mail client does: to its Reply-To, threaded on its
// Message-ID, with the original quoted below.
func (e *ebBot) reply(who, name string, m *sent, text string) {
	e.t.Helper()
	if m.ReplyTo == "" {
		e.t.Fatalf("%q has no Reply-To", m.Subject)
	}
	var quoted strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(m.Text), "\n") {
		quoted.WriteString("> " + line + "\r\n")
	}
	raw := fmt.Sprintf("From: %s <%s>\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: <eb%d.%s>\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\nDate: %s\r\n\r\n%s\r\n\r\nOn %s, Better Days <%s> wrote:\r\n%s",
		name, who, m.ReplyTo, m.Subject, e.seq.Add(1), who, m.MessageID, m.MessageID, time.Now().Format(time.RFC1123Z),
		text, time.Now().Format("Mon, 2 Jan 2006"), botAddress, quoted.String())
	e.ms.Send(e.t, who, m.ReplyTo, raw)
}

// next waits until who has n messages and returns the newest.
func (e *ebBot) next(who string, n int) *sent {
	e.t.Helper()
	msgs := e.ms.WaitForMail(e.t, who, n)
	return readSent(e.t, msgs[n-1].Raw)
}

// bookings is every booking of session, as "email status places".
func (e *ebBot) bookings(session string) []string {
	e.t.Helper()
	var out []string
	err := e.svc.Store.ExportBookings(context.Background(), session, func(b store.Booking) error {
		out = append(out, fmt.Sprintf("%s %s %d", b.Email, b.Status, b.Places))
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// bookingID is the id of who's booking of session, or 0.
func (e *ebBot) bookingID(session, who string) int64 {
	e.t.Helper()
	var id int64
	err := e.svc.Store.ExportBookings(context.Background(), session, func(b store.Booking) error {
		if b.Email == who {
			id = b.ID
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// ebMsg is one message from the bot as its recipient reads it.
// cal is the one calendar object of m, checked to carry method both in
// its MIME type and its METHOD, with one event.
func (m *sent) cal(t *testing.T, method calendar.Method) (sentInvite, calendar.ParsedEvent) {
	t.Helper()
	if len(m.Invites) != 1 {
		t.Fatalf("%q has %d calendar parts, want 1", m.Subject, len(m.Invites))
	}
	c := m.Invites[0]
	if !strings.Contains(c.ContentType, "method="+string(method)) {
		t.Errorf("%q: calendar Content-Type %q, want method=%s", m.Subject, c.ContentType, method)
	}
	if c.Obj.Method != method {
		t.Errorf("%q: METHOD %q, want %s", m.Subject, c.Obj.Method, method)
	}
	if len(c.Obj.Events) != 1 {
		t.Fatalf("%q: %d events, want 1:\n%s", m.Subject, len(c.Obj.Events), c.Raw)
	}
	return c, c.Obj.Events[0]
}

var ebUID = regexp.MustCompile(`^booking-([0-9]+)\.[0-9a-f]{16}@localhost$`)

// checkTimes checks an event's times are the session's, written as wall
// clock times in Europe/London with that zone's VTIMEZONE in the object.
func checkTimes(t *testing.T, c sentInvite, ev calendar.ParsedEvent, starts, ends time.Time) {
	t.Helper()
	if !ev.Start.Equal(starts) || !ev.End.Equal(ends) {
		t.Errorf("DTSTART/DTEND = %v / %v, want %v / %v", ev.Start, ev.End, starts, ends)
	}
	if ev.TZID != "Europe/London" || ev.Start.Location().String() != "Europe/London" {
		t.Errorf("DTSTART TZID %q (location %v), want Europe/London", ev.TZID, ev.Start.Location())
	}
	raw := strings.ReplaceAll(c.Raw, "\r\n", "\n")
	for _, want := range []string{
		"BEGIN:VTIMEZONE\nTZID:Europe/London\n",
		"DTSTART;TZID=Europe/London:" + starts.In(ebLondon).Format("20060102T150405") + "\n",
		"DTEND;TZID=Europe/London:" + ends.In(ebLondon).Format("20060102T150405") + "\n",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf(".ics lacks %q:\n%s", want, c.Raw)
		}
	}
	if len(c.Obj.TimeZones) == 0 {
		t.Errorf("no VTIMEZONE parsed from:\n%s", c.Raw)
	}
}

// TestE2EBookWaitCancelPromote is the whole path: A asks what is on
// and books the one place by replying "1"; B asks for the same session by
// its title and is put on the waiting list; A replies CANCEL to the
// confirmation and gets a calendar CANCEL; B is told the place is theirs,
// with an invitation.
func TestE2EBookWaitCancelPromote(t *testing.T) {
	t.Parallel()
	e := ebStart(t)
	starts := time.Date(2027, 7, 15, 13, 0, 0, 0, ebLondon)
	ends := starts.Add(time.Hour)

	// What's on: a numbered list, the one-place session first.
	e.send(ebAnn, "Ann Smith", "Hello", "What sessions are there?")
	list := e.next(ebAnn, 1)
	list.must(t, "Hello Ann,", "These are the sessions coming up:",
		"1. Coffee and conversation\n   Thursday 15 July 2027, 1pm to 2pm\n   Town Hall\n   1 place left",
		"2. Gardening together\n   Thursday 26 August 2027, 10am to 11:30am", "5 places left",
		"Reply with the number to book")
	if !strings.HasPrefix(list.ReplyTo, "betterdays+") || !strings.HasSuffix(list.ReplyTo, "@localhost") {
		t.Errorf("list Reply-To = %q, want betterdays+TOKEN@localhost", list.ReplyTo)
	}
	if len(list.Invites) != 0 {
		t.Errorf("the list carries %d calendar parts, want none", len(list.Invites))
	}

	// "1" books it.
	e.reply(ebAnn, "Ann Smith", list, "1")
	conf := e.next(ebAnn, 2)
	conf.must(t, "You are booked on:", "Coffee and conversation", "Thursday 15 July 2027, 1pm to 2pm",
		"Town Hall", "reply CANCEL")
	if !strings.Contains(conf.HTML, "Coffee and conversation") || !strings.Contains(conf.HTML, "Thursday 15 July 2027") {
		t.Errorf("confirmation HTML lacks the session or its date:\n%s", conf.HTML)
	}
	c, ev := conf.cal(t, calendar.Request)
	checkTimes(t, c, ev, starts, ends)
	aID := e.bookingID("eb-1", ebAnn)
	if got := ebUID.FindStringSubmatch(ev.UID); got == nil || got[1] != fmt.Sprint(aID) {
		t.Errorf("UID = %q, want booking-%d@localhost", ev.UID, aID)
	}
	firstSeq := ev.Sequence
	if firstSeq < 0 {
		t.Errorf("SEQUENCE = %d", firstSeq)
	}
	if !strings.Contains(c.Raw, fmt.Sprintf("SEQUENCE:%d", firstSeq)) {
		t.Errorf(".ics lacks a SEQUENCE line:\n%s", c.Raw)
	}
	if ev.Status != "CONFIRMED" || len(ev.Attendees) != 1 || ev.Attendees[0].Email != ebAnn {
		t.Errorf("STATUS %q, attendees %+v; want CONFIRMED, %s", ev.Status, ev.Attendees, ebAnn)
	}
	if conf.ReplyTo == "" || conf.ReplyTo == list.ReplyTo {
		t.Errorf("confirmation Reply-To = %q, want a fresh plus-address (list's was %q)", conf.ReplyTo, list.ReplyTo)
	}
	if got := e.bookings("eb-1"); strings.Join(got, "|") != ebAnn+" confirmed 1" {
		t.Errorf("eb-1 bookings after A booked = %q", got)
	}

	// B asks for the same session by its title: full, so the waiting list.
	e.send(ebBob, "Bob Jones", "Booking", "Hello, please book me on Coffee and Conversation. Thanks, Bob")
	wait := e.next(ebBob, 1)
	wait.must(t, "Hello Bob,", "waiting list", "Coffee and conversation", "Thursday 15 July 2027, 1pm to 2pm",
		"You are number 1 on the waiting list")
	wait.mustNot(t, "You are booked on")
	if len(wait.Invites) != 0 {
		t.Errorf("the waiting-list reply carries %d calendar parts, want none (nothing is booked yet)", len(wait.Invites))
	}
	if got := e.bookings("eb-1"); strings.Join(got, "|") != ebAnn+" confirmed 1|"+ebBob+" waitlisted 1" {
		t.Errorf("eb-1 bookings after B asked = %q", got)
	}

	// A replies CANCEL to the confirmation.
	e.reply(ebAnn, "Ann Smith", conf, "CANCEL")
	cancelled := e.next(ebAnn, 3)
	cancelled.must(t, "I have cancelled:", "Coffee and conversation", "Thursday 15 July 2027, 1pm to 2pm")
	cancelled.mustNot(t, "You are booked on")
	cc, cev := cancelled.cal(t, calendar.Cancel)
	if cev.UID != ev.UID {
		t.Errorf("CANCEL UID = %q, want the booking's %q", cev.UID, ev.UID)
	}
	if cev.Sequence <= firstSeq {
		t.Errorf("CANCEL SEQUENCE = %d, want more than the invitation's %d", cev.Sequence, firstSeq)
	}
	if strings.Contains(cc.Raw, "METHOD:REQUEST") {
		t.Errorf("cancellation .ics has METHOD:REQUEST:\n%s", cc.Raw)
	}
	checkTimes(t, cc, cev, starts, ends)

	// B is told the place is theirs, with an invitation of their own.
	promoted := e.next(ebBob, 2)
	if !strings.Contains(promoted.Subject, "place has come free") {
		t.Errorf("promotion subject = %q", promoted.Subject)
	}
	promoted.must(t, "Hello Bob,", "a place has come free", "You are now booked on:", "Coffee and conversation",
		"Thursday 15 July 2027, 1pm to 2pm", "reply CANCEL")
	pc, pev := promoted.cal(t, calendar.Request)
	checkTimes(t, pc, pev, starts, ends)
	bID := e.bookingID("eb-1", ebBob)
	if got := ebUID.FindStringSubmatch(pev.UID); got == nil || got[1] != fmt.Sprint(bID) || pev.UID == ev.UID {
		t.Errorf("B's UID = %q, want booking-%d@localhost (not A's %q)", pev.UID, bID, ev.UID)
	}
	if len(pev.Attendees) != 1 || pev.Attendees[0].Email != ebBob {
		t.Errorf("B's invitation attendees = %+v", pev.Attendees)
	}
	if promoted.ReplyTo == "" {
		t.Error("promotion has no Reply-To: a CANCEL reply to it could not say which booking")
	}
	if got := e.bookings("eb-1"); strings.Join(got, "|") != ebAnn+" cancelled 1|"+ebBob+" confirmed 1" {
		t.Errorf("eb-1 bookings after A cancelled = %q", got)
	}
}

// TestE2EOfferBelongsToItsPerson: a list sent to A, answered "2" from
// another address (as a forwarded or leaked email could be), books nothing
// from A's list; A's own "2" still books.
func TestE2EOfferBelongsToItsPerson(t *testing.T) {
	t.Parallel()
	e := ebStart(t)
	e.send(ebAnn, "Ann Smith", "sessions", "")
	list := e.next(ebAnn, 1)
	list.must(t, "1. Coffee and conversation", "2. Gardening together")

	e.reply(ebCara, "Cara Brown", list, "2")
	got := e.next(ebCara, 1)
	got.mustNot(t, "You are booked on", "You were already booked")
	if len(got.Invites) != 0 {
		t.Errorf("Cara's reply carries %d calendar parts, want none", len(got.Invites))
	}
	for _, s := range []string{"eb-1", "eb-2"} {
		if b := e.bookings(s); len(b) != 0 {
			t.Errorf("after Cara answered Ann's list, %s bookings = %q, want none", s, b)
		}
	}
	if n := len(e.ms.Mailbox(t, ebAnn)); n != 1 {
		t.Errorf("Ann has %d messages after Cara's reply, want 1 (her list)", n)
	}

	// The owner's own reply to the same list works.
	e.reply(ebAnn, "Ann Smith", list, "2")
	conf := e.next(ebAnn, 2)
	conf.must(t, "You are booked on:", "Gardening together", "Thursday 26 August 2027, 10am to 11:30am")
	if b := e.bookings("eb-2"); strings.Join(b, "|") != ebAnn+" confirmed 1" {
		t.Errorf("eb-2 bookings = %q, want Ann's", b)
	}
}

// TestE2ETimetableChangeTellsBooked re-imports the timetable with the
// booked session two hours later: A hears of it, with a REQUEST of the
// same UID, a higher SEQUENCE and the new time. Someone waiting hears of
// it with their place in the queue, but no invitation for a place they do
// not have; an unchanged re-import tells nobody anything.
func TestE2ETimetableChangeTellsBooked(t *testing.T) {
	t.Parallel()
	e := ebStart(t)
	e.send(ebAnn, "Ann Smith", "Booking", "Please book me on 15 July")
	conf := e.next(ebAnn, 1)
	conf.must(t, "You are booked on:", "Coffee and conversation")
	_, ev := conf.cal(t, calendar.Request)
	e.send(ebBob, "Bob Jones", "Booking", "book me on coffee and conversation")
	e.next(ebBob, 1).must(t, "You are number 1 on the waiting list")

	moved := strings.Replace(ebTimetable, "2027-07-15 13:00,2027-07-15 14:00", "2027-07-15 15:00,2027-07-15 16:00", 1)
	if moved == ebTimetable {
		t.Fatal("test timetable not changed")
	}
	if res := e.importTimetable(moved); res.Moved != 1 || res.Unchanged != 1 {
		t.Fatalf("re-import: %+v, want 1 moved, 1 unchanged", res)
	}
	changed := e.next(ebAnn, 2)
	if !strings.Contains(changed.Subject, "change") || !strings.Contains(changed.Subject, "Coffee and conversation") {
		t.Errorf("subject = %q, want a change to Coffee and conversation", changed.Subject)
	}
	changed.must(t, "Hello Ann,", "has changed", "Coffee and conversation", "Thursday 15 July 2027, 3pm to 4pm", "Town Hall")
	// What it was is said as such, never as the time to come.
	changed.must(t, "When was: Thursday 15 July 2027, 1pm to 2pm", "When now: Thursday 15 July 2027, 3pm to 4pm")
	changed.mustNot(t, "When:   Thursday 15 July 2027, 1pm to 2pm")
	c, cev := changed.cal(t, calendar.Request)
	if cev.UID != ev.UID {
		t.Errorf("update UID = %q, want the booking's %q", cev.UID, ev.UID)
	}
	if cev.Sequence <= ev.Sequence {
		t.Errorf("update SEQUENCE = %d, want more than the first invitation's %d", cev.Sequence, ev.Sequence)
	}
	newStart := time.Date(2027, 7, 15, 15, 0, 0, 0, ebLondon)
	checkTimes(t, c, cev, newStart, newStart.Add(time.Hour))
	if changed.ReplyTo == "" {
		t.Error("the change message has no Reply-To: a CANCEL reply to it could not say which booking")
	}

	// The same timetable again changes nothing and queues nothing.
	if res := e.importTimetable(moved); res.Moved != 0 || res.Unchanged != 2 {
		t.Fatalf("second re-import: %+v, want 2 unchanged", res)
	}
	sentinel(t, e.ms, e.svc, "zed@example.org")
	if n := len(e.ms.Mailbox(t, ebAnn)); n != 2 {
		t.Errorf("Ann has %d messages after an unchanged re-import, want 2", n)
	}
	bob := e.ms.Mailbox(t, ebBob)
	if len(bob) != 2 {
		t.Fatalf("Bob has %d messages, want 2 (waiting list, then the change)", len(bob))
	}
	if m := readSent(t, bob[1].Raw); len(m.Invites) != 0 || !strings.Contains(m.Text, "still number 1 on the waiting list") {
		t.Errorf("Bob, only waiting, was sent %q with %d calendar parts:\n%s", m.Subject, len(m.Invites), m.Text)
	}

	// A replies CANCEL to the change message: it knows which booking.
	e.reply(ebAnn, "Ann Smith", changed, "I can't make it any more, please cancel")
	cancelled := e.next(ebAnn, 3)
	cancelled.must(t, "I have cancelled:", "3pm to 4pm")
	_, xev := cancelled.cal(t, calendar.Cancel)
	if xev.UID != ev.UID || xev.Sequence <= cev.Sequence {
		t.Errorf("CANCEL UID %q SEQUENCE %d; want %q and more than %d", xev.UID, xev.Sequence, ev.UID, cev.Sequence)
	}
}
