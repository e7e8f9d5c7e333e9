package mailbot

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/store"
)

// outlookForward is a member of staff's Outlook forward of mary's message,
// with their note on top.
func outlookForward(note, header string) string {
	return "From: Officer <" + officer + ">\r\nTo: " + botAddress + "\r\nSubject: FW: Learning new skills\r\n" +
		"Message-ID: <fw1@localhost>\r\n" + header + "\r\n\r\n" + note + "\r\n\r\nKind regards\r\nOfficer\r\n\r\n" +
		"From: Mary Jones <" + mary + ">\r\nSent: 14 June 2027 10:15\r\nTo: Officer <" + officer + ">\r\nSubject: Learning new skills\r\n\r\n" +
		"Hello,\r\n\r\nCould I come to the learning new skills session on 6 July? I use a wheelchair.\r\n\r\nThanks,\r\nMary\r\n"
}

func TestStaffBooksForwardedRequest(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.deliver(outlookForward("Please book her on this one, thanks", provenStaff))

	got := d.one(mary)
	got.must(t, "Hello Mary,", "A member of the Better Days team asked me to book", "You are booked on:", "Learning new skills",
		"Tuesday 6 July 2027, 10am to 11am", "You told us: I use a wheelchair", "reply CANCEL")
	if len(got.Invites) != 1 || len(got.InReplyTo) != 0 || got.To != mary {
		t.Errorf("mary's confirmation: %d invites, In-Reply-To %q, To %q; want one invite, a new thread, to her", len(got.Invites), got.InReplyTo, got.To)
	}
	copyTo := d.one(officer)
	copyTo.must(t, "I have done this for Mary Jones <"+mary+">, and sent them this email:", "You are booked on:")
	if len(copyTo.Invites) != 0 {
		t.Errorf("the staff copy carries %d invites; only Mary's calendar wants one", len(copyTo.Invites))
	}
	if b := d.bookings("bd-2027-03"); !slices.Equal(b, []string{mary + " confirmed 1"}) {
		t.Fatalf("bookings = %q, want mary's alone", b)
	}
	if src := d.bookingSource(mary); src != "staff" {
		t.Errorf("booking source %q, want staff", src)
	}

	// The confirmation is Mary's own: her reply to it cancels.
	d.reply(mary, got, "Sorry, I can't come after all")
	d.one(mary).must(t, "I have cancelled:")
	if b := d.bookings("bd-2027-03"); len(b) != 0 {
		t.Errorf("after Mary's cancel, bookings = %q", b)
	}
}

func TestStaffActsForNamedPerson(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	const jane = "jane@example.org"
	d.send(officer, "Phone booking", "Book Jane Smith <jane@example.org> on Promoting independence, 2 places please", provenStaff)
	d.one(jane).must(t, "Hello Jane,", "You are booked on:", "Promoting independence", "Places: 2")
	d.one(officer).must(t, "I have done this for Jane Smith <jane@example.org>")
	if b := d.bookings("bd-2027-02"); !slices.Equal(b, []string{jane + " confirmed 2"}) {
		t.Fatalf("bookings = %q", b)
	}

	d.send(officer, "Re: Phone booking", "Cancel jane@example.org from Promoting independence", provenStaff)
	d.one(jane).must(t, "I have cancelled:", "Promoting independence")
	d.one(officer).must(t, "I have done this for jane@example.org")
	if b := d.bookings("bd-2027-02"); len(b) != 0 {
		t.Errorf("after staff cancelled, bookings = %q", b)
	}

	// Words the bot can't act on: staff are told, Jane gets nothing.
	d.send(officer, "Jane", "Jane Smith <jane@example.org> rang earlier", provenStaff)
	d.one(officer).must(t, "I couldn't tell what you would like me to do for Jane Smith <jane@example.org>")
	if got := d.mail(jane); len(got) != 0 {
		t.Errorf("jane got %d messages from an unreadable staff note", len(got))
	}
}

func TestStaffForwardAsAttachment(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	inner := "From: Mary Jones <" + mary + ">\r\nTo: " + officer + "\r\nSubject: Booking\r\nMessage-ID: <orig@example.org>\r\n\r\n" +
		"Please can I book on Learning new skills?\r\n"
	d.deliver("From: " + officer + "\r\nTo: " + botAddress + "\r\nSubject: Fwd: Booking\r\nMessage-ID: <fa1@localhost>\r\n" + provenStaff +
		"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--b--\r\n")
	d.one(mary).must(t, "You are booked on:", "Learning new skills")
	d.one(officer).must(t, "I have done this for Mary Jones <"+mary+">")
}

// TestSpoofedStaffActsForNobody: the same words from a staff From that
// our server did not vouch for act only for the sender.
func TestSpoofedStaffActsForNobody(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	const jane = "jane@example.org"
	d.send(mary, "Booking", "Please book me on Promoting independence")
	d.one(mary).must(t, "You are booked on:")
	for _, tc := range []struct{ name, raw string }{
		{"named", "From: " + officer + "\r\nTo: " + botAddress + "\r\nSubject: Booking\r\nMessage-ID: <s1@x>\r\n\r\n" +
			"Book Jane Smith <jane@example.org> on Promoting independence\r\n"},
		{"forged Authentication-Results from elsewhere", "From: " + officer + "\r\nTo: " + botAddress + "\r\nSubject: Booking\r\nMessage-ID: <s2@x>\r\n" +
			"Authentication-Results: evil.example; dmarc=pass header.from=localhost\r\n\r\nCancel mary@example.org from Promoting independence\r\n"},
		{"forward", strings.Replace(outlookForward("Please book her on this one", "X-Nothing: 1"), "<fw1@localhost>", "<s3@x>", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d.deliver(tc.raw)
			for _, who := range []string{jane, mary} {
				if got := d.mail(who); len(got) != 0 {
					t.Errorf("%s got %q from an unproven staff address", who, got[0].Subject)
				}
			}
			if b := d.bookings("bd-2027-02"); !slices.Contains(b, mary+" confirmed 1") {
				t.Errorf("mary's booking gone after a forged staff message: %q", b)
			}
			for _, id := range []string{"bd-2027-02", "bd-2027-03"} {
				for _, b := range d.bookings(id) {
					if !strings.HasPrefix(b, officer) && b != mary+" confirmed 1" {
						t.Errorf("booking %q made on a forged staff message", b)
					}
				}
			}
			for _, m := range d.mail(officer) {
				m.mustNot(t, "I have done this for")
			}
		})
	}
}

// bookingSource is how addr's live booking was made.
func (d *rig) bookingSource(addr string) string {
	d.t.Helper()
	var src []string
	err := d.st.ExportBookings(context.Background(), "", func(b store.Booking) error {
		if b.Email == addr && b.Status != store.Cancelled {
			src = append(src, b.Source)
		}
		return nil
	})
	if err != nil || len(src) != 1 {
		d.t.Fatalf("bookings of %s: sources %q, err %v; want one", addr, src, err)
	}
	return src[0]
}

// TestStaffForwardOfColleague: a forward of a colleague's message is for
// nobody; the bot must not act for the member of staff instead.
func TestStaffForwardOfColleague(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_STAFF": officer + ",bob@localhost"})
	d.deliver("From: " + officer + "\r\nTo: " + botAddress + "\r\nSubject: FW: Mary\r\nMessage-ID: <fc1@localhost>\r\n" + provenStaff + "\r\n\r\n" +
		"See below\r\n\r\n---------- Forwarded message ---------\r\nFrom: Bob <bob@localhost>\r\nDate: Mon, 14 Jun 2027 at 10:00\r\n" +
		"Subject: Mary\r\nTo: <" + officer + ">\r\n\r\nCan you book Mary onto Learning new skills please?\r\n")
	d.one(officer).must(t, "Whom would you like me to act for?")
	if b := d.bookings("bd-2027-03"); len(b) != 0 {
		t.Errorf("bookings = %q after a colleague's forward", b)
	}
}

// TestUnprovenStaffForward: a forward from a staff address our server
// does not prove may be forged to act for someone: nothing is done for
// anyone, the forged address is not answered, and staff are told.
func TestUnprovenStaffForward(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_STAFF": officer + ",bob@localhost"})
	d.joined("ann@example.org")
	d.deliver("From: " + officer + "\r\nTo: " + botAddress + "\r\nSubject: FW: cancel\r\nMessage-ID: <uf1@localhost>\r\n\r\n" +
		"Please take Ann off the list.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Ann Lowe <ann@example.org>\r\nDate: Mon, 14 Jun 2027 at 10:00\r\n" +
		"Subject: cancel\r\nTo: <" + officer + ">\r\n\r\nPlease unsubscribe me.\r\n")
	if got := d.mail("ann@example.org"); len(got) != 0 {
		t.Errorf("Ann got %d emails from an unproven forward", len(got))
	}
	d.one("bob@localhost").must(t, "could not prove that")
	if got := d.mail(officer); len(got) != 1 || !strings.HasPrefix(got[0].Subject, "Please reply") {
		t.Errorf("the forged address got %d emails; want the hand-off to staff alone", len(got))
	}
	if !d.subscribed("ann@example.org") {
		t.Error("an unproven forward took Ann off the list")
	}
}

func TestStaffForwardWithUrgentWords(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.deliver(strings.Replace(outlookForward("Please book her on this one", provenStaff),
		"I use a wheelchair.", "I use a wheelchair. I don't feel safe at home at the moment.", 1))
	d.one(mary).must(t, "You are booked on:", "please call 999")
	d.one(officer).must(t, `Their message mentions "don't feel safe"`, "follows it up today")
}

// TestStaffForwardUrgentToTheTeam: the forwarder may have read it for a
// booking only, so their copy is marked URGENT and the rest of the team
// get it too, replying straight to the person.
func TestStaffForwardUrgentToTheTeam(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_STAFF": officer + ",second@localhost"})
	d.deliver(strings.Replace(outlookForward("Please book her on this one", provenStaff),
		"I use a wheelchair.", "I use a wheelchair. I don't feel safe at home at the moment.", 1))
	d.one(mary).must(t, "You are booked on:", "please call 999")
	if got := d.one(officer); !strings.HasPrefix(got.Subject, "URGENT") {
		t.Errorf("to the forwarder: subject %q, want it marked urgent", got.Subject)
	}
	h := d.one("second@localhost")
	if !strings.HasPrefix(h.Subject, "URGENT") || h.ReplyTo != mary {
		t.Errorf("to the other staff: subject %q, Reply-To %q; want urgent, replying to Mary", h.Subject, h.ReplyTo)
	}
	h.must(t, `"don't feel safe"`, officer+" forwarded their email", "follows it up today")
}

// TestNeighbourAsksForAnother: a member of the public passing on a
// neighbour's wish books nobody (not the writer, whose address it is);
// staff get it, with the number to ring.
func TestNeighbourAsksForAnother(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "for my neighbour", "My neighbour Betty (Mrs Elizabeth Grove) would love to come to the 15 July one. She doesn't have email. Her phone number is 01305 900881, could someone give her a ring?")
	d.one(mary).must(t, "I have passed your email")
	d.one(officer).must(t, "They ask for someone else", "01305 900881")
	if b := d.bookings("bd-2027-04"); len(b) > 0 {
		t.Errorf("bookings %q: the writer was booked for her neighbour", b)
	}
}

// TestStaffNamesSomeoneWithoutAddress: "book Mary on …" from staff, with
// no address for Mary, must not book the member of staff.
func TestStaffNamesSomeoneWithoutAddress(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(officer, "Mary", "Please book Mary on Learning new skills", provenStaff)
	d.one(officer).must(t, "Whom would you like me to act for?")
	if b := d.bookings("bd-2027-03"); len(b) != 0 {
		t.Errorf("bookings = %q", b)
	}
	// Booking themselves still works.
	d.send(officer, "Me", "Please book me on Learning new skills", provenStaff)
	d.one(officer).must(t, "You are booked on:")
}

// TestStaffForwardOfAQuestion: "FYI" above someone's question the bot
// cannot answer goes to the rest of the team, a reply to it straight to
// them; nothing is done for them, and they are sent nothing.
func TestStaffForwardOfAQuestion(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_STAFF": officer + ",bob@localhost"})
	d.send(officer, "FW: Weymouth", "FYI\r\n\r\n---------- Forwarded message ---------\r\nFrom: Colin Hext <colin@example.org>\r\nDate: Mon, 14 Jun 2027 at 10:00\r\n"+
		"Subject: Weymouth\r\nTo: <"+officer+">\r\n\r\nIs there parking near the Weymouth community centre? My wife can't walk far.\r\n", provenStaff)
	d.one(officer).must(t, "I couldn't tell what you would like me to do for Colin Hext", "I have passed it to the\nrest of the team")
	bob := d.one("bob@localhost")
	bob.must(t, "Is there parking near the Weymouth community centre?", "forwarded their email, and it asks something I can't answer.")
	if !strings.Contains(bob.ReplyTo, "colin@example.org") {
		t.Errorf("Reply-To = %q, want Colin", bob.ReplyTo)
	}
	if got := d.mail("colin@example.org"); len(got) != 0 {
		t.Errorf("Colin was sent %q", got[0].Subject)
	}
}
