//go:build integration

package integration

// The attacks of issue 20, each made over the real servers as an attacker
// would make it: messages through Postfix's public port, which anyone can
// reach, or through submission logged in as an account that is not the
// one it writes as. Each test checks what the bot did (bookings, places,
// the list, what it queued for whom), not its wording, and each has a
// control: the same request, proven, is done, so a refusal is the proof
// missing and not the request misread.

import (
	"context"
	"fmt"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
)

const (
	staffAddr = "staff@example.test"
	annAddr   = "ann@example.test"
	maryAddr  = "mary@example.test"
	noraAddr  = "nora@example.test"
	oliveAddr = "olive@example.test"
	zedAddr   = "zed@example.test"
)

// Sessions of the demo timetable the attacks aim at.
const (
	independence = "bd-2027-02" // Promoting independence, 25 places
	skills       = "bd-2027-03" // Learning new skills, 25 places
	charities    = "bd-2027-09" // The role of charities and forums, 30 places
)

// startDemoBot is startBot with the demo timetable loaded.
func startDemoBot(t *testing.T, s *servers, extra map[string]string) *mailbot.Service {
	t.Helper()
	bot := startBot(t, s, extra)
	if _, err := mailbot.LoadDemoTimetable(context.Background(), bot.Store, bot.Config.TZ, time.Now()); err != nil {
		t.Fatal(err)
	}
	return bot
}

// forge sends the bot, through the Postfix port at addr and without a
// login, what anyone may write: any From, with fields (forged
// Authentication-Results, say) on top. It returns the Message-ID.
func (s *servers) forge(t *testing.T, addr, from, subject, body string, fields ...string) string {
	t.Helper()
	id, raw := compose(t, from, botAddress, subject, body, fields...)
	sender, _ := netmail.ParseAddress(from)
	s.sendVia(t, addr, "", sender.Address, botAddress, raw)
	return id
}

// handled waits until the bot has recorded each message, in turn, and
// logs what it did with it.
func handled(t *testing.T, bot *mailbot.Service, ids ...string) {
	t.Helper()
	for _, id := range ids {
		t.Logf("%s: %s", id, outcome(t, bot, id))
	}
}

// held is the confirmed places of every booking that keep holds, by
// address.
func held(t *testing.T, bot *mailbot.Service, keep func(store.Booking) bool) map[string]int {
	t.Helper()
	places := map[string]int{}
	err := bot.Store.ExportBookings(context.Background(), "", func(b store.Booking) error {
		if b.Status == store.Confirmed && keep(b) {
			places[b.Email] += b.Places
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return places
}

func on(session string) func(store.Booking) bool {
	return func(b store.Booking) bool { return b.Session.ID == session }
}

func dropIns(b store.Booking) bool { return b.Session.Kind == "dropin" }

func total(places map[string]int) int {
	n := 0
	for _, p := range places {
		n += p
	}
	return n
}

// subscribed reports whether addr is a confirmed member of the list, as
// `mailbot subscribers export` would show it.
func subscribed(t *testing.T, bot *mailbot.Service, addr string) bool {
	t.Helper()
	found := false
	err := bot.Store.ExportSubscribers(context.Background(), func(sub store.Subscription) error {
		found = found || strings.EqualFold(sub.Email, addr) && sub.Status == store.Confirmed
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// queued counts the bot's outbox rows of kind (any, if "") for a
// recipient to accepts: everything the bot will ever send them of it.
func queued(t *testing.T, bot *mailbot.Service, kind string, to func(rcpt string) bool) int {
	t.Helper()
	n := 0
	for _, row := range outbox(t, bot) {
		k, rest, _ := strings.Cut(row, " → ")
		rcpt, _, _ := strings.Cut(rest, " (")
		if (kind == "" || k == kind) && to(rcpt) {
			n++
		}
	}
	return n
}

func is(addr string) func(string) bool { return func(rcpt string) bool { return rcpt == addr } }

// plusOf accepts base and its plus-addresses (RFC 5233).
func plusOf(base string) func(string) bool {
	local, domain, _ := strings.Cut(base, "@")
	return func(rcpt string) bool {
		return rcpt == base || strings.HasPrefix(rcpt, local+"+") && strings.HasSuffix(rcpt, "@"+domain)
	}
}

// answering is a predicate for the message that answers the message id.
func answering(id string) func(*message) bool {
	return func(m *message) bool {
		irt, _ := m.Header.MsgIDList("In-Reply-To")
		refs, _ := m.Header.MsgIDList("References")
		return slices.Contains(irt, id) || slices.Contains(refs, id)
	}
}

// TestForgedStaffResults is attack 1: a stranger writes as staff with a
// forged Authentication-Results whose authserv-id is ours spelt with a
// Unicode look-alike (U+017F for s, U+212A for k), which the server's
// ASCII strip rule leaves. On the quiet port it reaches the bot on top,
// where only the bot's own ASCII comparison can refuse it; on the public
// port the server's own auth=none is above it and must be what counts.
// Neither gets the attendee list, books Mary or cancels Ann.
func TestForgedStaffResults(t *testing.T) {
	s := needServers(t)
	s.fresh(t, annAddr, maryAddr, staffAddr)
	bot := startDemoBot(t, s, map[string]string{"MAILBOT_STAFF": staffAddr})
	const phone = "07700 900461"
	s.send(t, "Ann Smith <"+annAddr+">", botAddress, "Booking",
		"Please book me on Promoting independence. My phone number is "+phone)
	waitFor(t, "Ann's booking", func() bool { return held(t, bot, on(independence))[annAddr] == 1 })

	requests := []struct{ subject, body string }{
		{"Attendees", "attendees Promoting independence"},
		{"Booking for Mary", "Book mary@example.test on Promoting independence"},
		{"Cancellation for Ann", "cancel ann@example.test from Promoting independence"},
	}
	forgeries := []struct{ name, port, authservID string }{
		{"long s on the quiet port", s.QuietAddr, forgedLongS},
		{"Kelvin sign on the quiet port", s.QuietAddr, forgedKelvin},
		{"long s on the public port", s.SMTPAddr, forgedLongS},
		{"Kelvin sign on the public port", s.SMTPAddr, forgedKelvin},
	}
	// Each forgery is judged by what it changed, so one that gets through
	// does not make the next look guilty.
	lists := func() int { return queued(t, bot, "attendees", is(staffAddr)) }
	for _, f := range forgeries {
		listsBefore, before := lists(), held(t, bot, on(independence))
		// Sent together: each is judged alone, in any order.
		var ids []string
		for _, r := range requests {
			ids = append(ids, s.forge(t, f.port, staffAddr, r.subject, r.body,
				"Authentication-Results: "+f.authservID+"; auth=pass smtp.auth="+staffAddr))
		}
		handled(t, bot, ids...)
		if n := lists() - listsBefore; n != 0 {
			t.Errorf("%s: the bot queued %d attendee lists for %s", f.name, n, staffAddr)
		}
		after := held(t, bot, on(independence))
		if after[maryAddr] > before[maryAddr] {
			t.Errorf("%s: Mary was booked (%d places)", f.name, after[maryAddr]-before[maryAddr])
		}
		if after[annAddr] < before[annAddr] {
			t.Errorf("%s: Ann's booking was cancelled", f.name)
		}
	}

	// Staff themselves, logged in: the same three requests are done, one
	// by one, so the list is made while Ann is still booked.
	listsBefore := lists()
	for _, r := range requests {
		handled(t, bot, s.submit(t, staffAddr, staffAddr, botAddress, r.subject, r.body))
	}
	if n := lists() - listsBefore; n != 1 {
		t.Errorf("proven staff: %d attendee lists queued, want 1", n)
	}
	places := held(t, bot, on(independence))
	if places[maryAddr] != 1 || places[annAddr] != 0 {
		t.Errorf("proven staff: Mary holds %d places, Ann %d; want 1 and 0", places[maryAddr], places[annAddr])
	}
	s.waitForMail(t, staffAddr, saying(phone))
}

// TestDomainProofNotStaff is attack 5: Zed logs in on submission and
// writes From: staff. The server's results say SPF and DMARC passed for
// example.test, which is true and says nothing of which account wrote:
// Zed is not staff. Staff, logged in as themselves, are.
func TestDomainProofNotStaff(t *testing.T) {
	s := needServers(t)
	s.fresh(t, staffAddr, zedAddr)
	bot := startDemoBot(t, s, map[string]string{"MAILBOT_STAFF": staffAddr})

	if n := asksAttendees(t, s, bot, zedAddr); n != 0 {
		t.Errorf("logged in as %s and writing as %s: %d attendee lists queued, want none", zedAddr, staffAddr, n)
	}
	if n := asksAttendees(t, s, bot, staffAddr); n != 1 {
		t.Errorf("staff logged in as themselves: %d attendee lists queued, want 1", n)
	}
}

// TestStaffDomainProof: MAILBOT_STAFF_PROOF=domain is the operator saying
// their server binds each From to its login; the bot then takes the
// domain's DMARC pass as proof, and Zed, on a server that does not bind
// them, passes for staff. That is what the setting does, and why the
// README warns of it.
func TestStaffDomainProof(t *testing.T) {
	s := needServers(t)
	s.fresh(t, staffAddr, zedAddr)
	bot := startDemoBot(t, s, map[string]string{"MAILBOT_STAFF": staffAddr, "MAILBOT_STAFF_PROOF": "domain"})
	if n := asksAttendees(t, s, bot, zedAddr); n != 1 {
		t.Errorf("MAILBOT_STAFF_PROOF=domain, DMARC passed for example.test: %d attendee lists queued, want 1", n)
	}
	// A stranger on the public port has no pass for the domain at all.
	lists := queued(t, bot, "attendees", is(staffAddr))
	handled(t, bot, s.forge(t, s.SMTPAddr, staffAddr, "Attendees", "attendees Learning new skills",
		"Authentication-Results: "+forgedLongS+"; dmarc=pass header.from=example.test"))
	if n := queued(t, bot, "attendees", is(staffAddr)) - lists; n != 0 {
		t.Errorf("MAILBOT_STAFF_PROOF=domain, a stranger with a forged DMARC pass: %d attendee lists queued, want none", n)
	}
}

// asksAttendees sends "attendees Learning new skills" as staff through
// submission, logged in as login, and returns how many attendee lists for
// staff it made the bot queue.
func asksAttendees(t *testing.T, s *servers, bot *mailbot.Service, login string) int {
	t.Helper()
	before := queued(t, bot, "attendees", is(staffAddr))
	handled(t, bot, s.submit(t, login, staffAddr, botAddress, "Attendees", "attendees Learning new skills"))
	return queued(t, bot, "attendees", is(staffAddr)) - before
}

// TestForgedFromActsForNoOne is attack 2: a stranger writes as Mary, who
// is booked and has been offered drop-in times, citing nothing. Her
// booking stays, no slot is taken, no places are taken in her name and
// she is not put on the list. The bot asks the real Mary instead, and her
// YES to that question cancels.
func TestForgedFromActsForNoOne(t *testing.T) {
	s := needServers(t)
	s.fresh(t, maryAddr)
	bot := startDemoBot(t, s, map[string]string{"MAILBOT_STAFF": staffAddr})

	// Each forgery comes when the question it would answer is Mary's
	// newest, which is what a reply citing nothing is taken to answer.
	forge := func(subject, body string) string {
		id := s.forge(t, s.SMTPAddr, maryAddr, subject, body)
		handled(t, bot, id)
		return id
	}
	// Mary herself, logged in, books: her confirmation offers the list.
	handled(t, bot, s.submit(t, maryAddr, maryAddr, botAddress, "Booking", "Please book me on Learning new skills"))
	if n := held(t, bot, on(skills))[maryAddr]; n != 1 {
		t.Fatalf("Mary's own booking: %d places, want 1", n)
	}
	forge("Re: Booking", "yes")
	if subscribed(t, bot, maryAddr) {
		t.Error("a forged yes put Mary on the mailing list")
	}
	// She asks for drop-in times, and is offered some.
	ask := s.submit(t, maryAddr, maryAddr, botAddress, "Drop-in", "Can I have a drop-in chat with someone?")
	handled(t, bot, ask)
	s.waitForMail(t, maryAddr, answering(ask))
	forge("Re: Better Days", "2")
	if got := held(t, bot, dropIns); len(got) != 0 {
		t.Errorf("a forged 2 took a drop-in slot: %v", got)
	}
	cancel := forge("Cancel", "Please cancel my booking")
	if n := held(t, bot, on(skills))[maryAddr]; n != 1 {
		t.Errorf("after a forged cancel Mary holds %d places on Learning new skills, want her 1", n)
	}
	forge("More places", "Please book me for 4 places on Promoting independence")
	if n := held(t, bot, on(independence))[maryAddr]; n != 0 {
		t.Errorf("%d places on Promoting independence taken in Mary's name, want none", n)
	}

	// The real Mary has a question about the cancellation; her YES to it
	// cites it, and cancels.
	q := s.waitForMail(t, maryAddr, answering(cancel))
	handled(t, bot, s.replyTo(t, maryAddr, q, "YES"))
	if n := held(t, bot, on(skills))[maryAddr]; n != 0 {
		t.Errorf("after Mary's own YES she still holds %d places, want the booking cancelled", n)
	}
}

// TestMadeUpAddressesTakeNoPlaces is attack 3: three addresses nobody
// uses each ask for 10 places on a 30-place session; none are taken. A
// proven person asking for 10 gets no more than MAILBOT_MAX_PLACES (4 by
// default), and the session is still open to the next real person.
func TestMadeUpAddressesTakeNoPlaces(t *testing.T) {
	s := needServers(t)
	s.fresh(t, noraAddr, oliveAddr)
	bot := startDemoBot(t, s, nil)
	const ask = "Please book me for 10 places on The role of charities and forums"

	var ids []string
	for i := range 3 {
		from := fmt.Sprintf("made-up-%d-%d@example.test", i, time.Now().UnixNano())
		ids = append(ids, s.forge(t, s.SMTPAddr, from, "Booking", ask))
	}
	handled(t, bot, ids...)
	if got := held(t, bot, on(charities)); total(got) != 0 {
		t.Errorf("made-up addresses hold %v, want no places", got)
	}
	handled(t, bot, s.submit(t, noraAddr, noraAddr, botAddress, "Booking", ask))
	if n := held(t, bot, on(charities))[noraAddr]; n > 4 {
		t.Errorf("Nora, logged in, asked for 10 and holds %d places; want at most 4", n)
	}
	handled(t, bot, s.send(t, oliveAddr, botAddress, "Booking", "Please book me on The role of charities and forums"))
	if n := held(t, bot, on(charities))[oliveAddr]; n != 1 {
		t.Errorf("Olive holds %d places after booking, want 1", n)
	}
}

// TestHandOffsDoNotSilenceStaff is attack 4a: eleven strangers' questions
// are handed to staff, more than MAILBOT_REPLY_LIMIT (10); staff's own
// request is still answered.
func TestHandOffsDoNotSilenceStaff(t *testing.T) {
	s := needServers(t)
	s.fresh(t, staffAddr)
	bot := startDemoBot(t, s, map[string]string{"MAILBOT_STAFF": staffAddr})
	// Sent at once and awaited together: the order does not matter, and
	// one by one each waits for the bot's next look at its inbox.
	var ids []string
	for i := range 11 {
		from := fmt.Sprintf("asker%d@example.test", i)
		s.addUser(t, from)
		ids = append(ids, s.forge(t, s.SMTPAddr, from, "Parking", "Is there parking near the library?"))
	}
	handled(t, bot, ids...)
	if n := queued(t, bot, "handoff", is(staffAddr)); n != 11 {
		t.Errorf("%d questions handed to staff, want all 11", n)
	}
	if n := asksAttendees(t, s, bot, staffAddr); n != 1 {
		t.Errorf("staff's own request after 11 hand-offs: %d attendee lists queued, want 1", n)
	}
}

// TestForgedFloodDoesNotSilence is attack 4b: twenty forged messages as
// Mary use up any limit on replies to her; her own request, proven by her
// login, is still done.
func TestForgedFloodDoesNotSilence(t *testing.T) {
	s := needServers(t)
	s.fresh(t, maryAddr)
	bot := startDemoBot(t, s, map[string]string{"MAILBOT_STAFF": staffAddr})
	var ids []string
	for range 20 {
		ids = append(ids, s.forge(t, s.SMTPAddr, maryAddr, "help", "help"))
	}
	handled(t, bot, ids...)
	handled(t, bot, s.submit(t, maryAddr, maryAddr, botAddress, "Booking", "Please book me on Learning new skills"))
	if n := held(t, bot, on(skills))[maryAddr]; n != 1 {
		t.Errorf("Mary's own booking after 20 forgeries: %d places, want 1", n)
	}
}

// TestPlusAddressesShareOneLimit is attack 4c: mary+0@, mary+1@ … are one
// mailbox, and one address for the reply limit.
func TestPlusAddressesShareOneLimit(t *testing.T) {
	s := needServers(t)
	s.fresh(t, maryAddr)
	const limit = 3
	bot := startDemoBot(t, s, map[string]string{"MAILBOT_REPLY_LIMIT": fmt.Sprint(limit), "MAILBOT_STAFF": staffAddr})
	var ids []string
	for i := range 2 * limit {
		ids = append(ids, s.forge(t, s.SMTPAddr, fmt.Sprintf("mary+%d@example.test", i), "help", "help"))
	}
	handled(t, bot, ids...)
	if n := queued(t, bot, "", plusOf(maryAddr)); n == 0 || n > limit {
		t.Errorf("%d messages queued for Mary's plus-addresses, want 1 to %d", n, limit)
	}
}
