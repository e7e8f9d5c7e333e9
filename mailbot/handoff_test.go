package mailbot

import (
	"context"
	"strings"
	"testing"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

func TestHandOverQuestion(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_STAFF": officer + ",second@localhost"})
	id := d.send(mary, "Parking", "Hello, is there parking near the library?\n\nMary")
	got := d.one(mary)
	got.must(t, "I have passed your email to a member of the Better Days team")
	got.mustNot(t, "999", "Reply with any of these")
	for _, staff := range []string{officer, "second@localhost"} {
		h := d.one(staff)
		h.must(t, "mary@example.org wrote to Better Days", "They ask something I can't answer.", "Subject: Parking", "is there parking near the library?")
		if h.ReplyTo != mary || !strings.HasPrefix(h.Subject, "Please reply: ") {
			t.Errorf("to staff: Reply-To %q, subject %q; want Mary's address, so a reply goes to her", h.ReplyTo, h.Subject)
		}
		if len(h.Attached) != 1 {
			t.Fatalf("to staff: %d messages attached, want the original", len(h.Attached))
		}
		orig, _ := understand.Parse(h.Attached[0])
		if orig.MessageID != id || orig.From != mary {
			t.Errorf("attached message is %q from %q, want %q from mary", orig.MessageID, orig.From, id)
		}
	}
}

func TestHandOverUrgentAlongsideBooking(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "Booking", "Please book me on Learning new skills. Things are hard, I don't feel safe at home.")
	got := d.one(mary)
	got.must(t, "You are booked on:", "Learning new skills", "I have passed your email", "please call 999", "116 123")
	h := d.one(officer)
	if !strings.HasPrefix(h.Subject, "URGENT") {
		t.Errorf("subject %q, want it marked urgent", h.Subject)
	}
	h.must(t, `PLEASE READ THIS SOON: it mentions "don't feel safe"`, "some words in it suggest someone may be at risk",
		`they asked to book "Learning new skills"`, "999 and Samaritans")
}

// TestUrgentHoldsQuestions: words that would only have asked the writer
// something (which of several sessions, a name matching none) are held
// back when they may be at risk: the reply is help and a person, with no
// numbered list to answer, and a later "1" books nothing.
func TestUrgentHoldsQuestions(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "Sessions", "Please book me on the afternoon one and the pottery class. I can't go on like this any more.")
	got := d.one(mary)
	got.must(t, "please call 999", "116 123", "I have passed your email")
	got.mustNot(t, "Which did you mean", "couldn't find", "Reply with the number", "You asked")
	if i, j := strings.Index(got.Text, "999"), strings.Index(got.Text, "Hello"); i < 0 || i > j {
		t.Errorf("the help numbers do not come first:\n%s", got.Text)
	}
	if h := d.one(officer); !strings.HasPrefix(h.Subject, "URGENT") {
		t.Errorf("to staff: subject %q, want it marked urgent", h.Subject)
	}
	d.reply(mary, got, "1")
	d.mail(mary)
	for _, s := range []string{"bd-2027-02", "bd-2027-04", "bd-2027-09"} {
		if b := d.bookings(s); len(b) > 0 {
			t.Errorf("session %s: booked %v after a \"1\" to a reply that offered no list", s, b)
		}
	}
}

// TestUrgentKeepsPlaceAndList: someone who may be at risk and asks to
// give up everything keeps their place and the list until a person has
// talked it through with them; staff are told what was asked.
func TestUrgentKeepsPlaceAndList(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.joined(mary)
	d.send(mary, "Booking", "Please book me on Learning new skills")
	d.mail(mary)
	d.send(mary, "no longer needed", "you can take me off everything, the 6th July and the list. I wont be needing any of it after this week. thank you for trying")
	got := d.one(mary)
	got.must(t, "please call 999", "I have passed your email")
	got.mustNot(t, "I have cancelled", "left our mailing list")
	if b := d.bookings("bd-2027-03"); len(b) != 1 {
		t.Errorf("bookings = %q, want the place kept", b)
	}
	if !d.subscribed(mary) {
		t.Error("taken off the list")
	}
	h := d.one(officer)
	if !strings.HasPrefix(h.Subject, "URGENT") {
		t.Errorf("to staff: subject %q, want it marked urgent", h.Subject)
	}
	h.must(t, `they asked to cancel "the 6th july" and to leave the mailing list, which I have not done`)
}

// TestSorryForTheirLoss: a reply to someone whose words tell of a death
// says sorry before what was done.
func TestSorryForTheirLoss(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "Booking", "Please book me on Learning new skills")
	conf := d.one(mary)
	d.reply(mary, conf, "No. My husband died on Friday. I won't be coming now.")
	got := d.one(mary)
	got.must(t, "I am so sorry to hear of your loss.", "I have cancelled:")
	if i, j := strings.Index(got.Text, "sorry"), strings.Index(got.Text, "I have cancelled"); i > j {
		t.Errorf("the sorry comes after what was done:\n%s", got.Text)
	}
}

// TestHandOverHostileText: what a person wrote is shown to staff as text,
// never as markup, and a name cannot add header fields.
func TestHandOverHostileText(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	raw := "From: =?utf-8?q?Eve=0D=0AX-Bcc=3A_all?= <" + mary + ">\r\nTo: " + botAddress + "\r\nSubject: =?utf-8?q?Hi=0D=0AX-Evil:_1?=\r\nMessage-ID: <h1@x>\r\n\r\n" +
		"<script>alert(1)</script> is there a loop for hearing aids?\r\n"
	d.deliver(raw)
	d.one(mary)
	h := d.one(officer)
	if strings.Contains(h.HTML, "<script>") || !strings.Contains(h.HTML, "&lt;script&gt;") {
		t.Errorf("the HTML part does not escape what they wrote:\n%s", h.HTML)
	}
	if h.Header.Get("X-Evil") != "" || h.Header.Get("X-Bcc") != "" {
		t.Errorf("a header was injected: %v", h.Header)
	}
}

// TestNoStaffQuestionBooksNothing: a question about two sessions, with
// nobody to pass it to, books neither.
func TestNoStaffQuestionBooksNothing(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_STAFF": ""})
	d.send(mary, "my good day", "Hi, can you send me the Teams link for the 22nd? And is the 21/7 one online or face to face\n\nJean")
	d.one(mary).mustNot(t, "You are booked")
	for _, id := range []string{"bd-2027-01", "bd-2027-05"} {
		if b := d.bookings(id); len(b) > 0 {
			t.Errorf("%s booked %q for a question", id, b)
		}
	}
}

func TestNoStaffMeansHelp(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_STAFF": ""})
	d.send(mary, "hm", "asdfgh qwerty")
	got := d.one(mary)
	got.must(t, "couldn't tell from your message")
	got.mustNot(t, "I have passed your email")
}

func TestOverReplyLimitGoesToStaff(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_REPLY_LIMIT": "2"})
	for i := range 2 {
		d.send(mary, "what's on", "what's on?")
		if got := d.mail(mary); len(got) != 1 {
			t.Fatalf("message %d: %d replies", i+1, len(got))
		}
	}
	// Over the limit: Mary hears nothing more, staff see her messages...
	for range 2 {
		d.send(mary, "please", "I keep writing: can someone call me?")
		if got := d.mail(mary); len(got) != 0 {
			t.Fatalf("over the limit, mary got %q", got[0].Subject)
		}
		d.one(officer).must(t, "I have sent them 2 emails in the last hour")
	}
	// ...up to as many again, so a forged From floods nobody.
	d.send(mary, "please", "again")
	if got := d.mail(officer); len(got) != 0 {
		t.Errorf("staff got %d more after the second limit", len(got))
	}
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("mary got %d more after the second limit", len(got))
	}
}

// TestReplyFindsItsQuestion: a reply is matched to what it answers even
// from a client that drops In-Reply-To and Reply-To, by the reference in
// our subject, and failing that by the person's newest question — never
// by someone else's, and, as anyone could send that guess, acted on only
// when the sender is proven or says YES.
func TestReplyFindsItsQuestion(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "What's on", "what sessions are there?")
	list := d.one(mary)
	ref := understand.SubjectRef(list.Subject)
	if ref == "" {
		t.Fatalf("no reference in the subject %q", list.Subject)
	}
	bare := func(from, subject, text string) {
		d.deliver("From: " + from + "\r\nTo: " + botAddress + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + text + from + ">\r\n\r\n" + text + "\r\n")
	}
	// Someone else quoting Mary's subject gets no use of it.
	bare(sam, "Re: "+list.Subject, "3")
	d.one(sam).mustNot(t, "You are booked on:")

	bare(mary, "Re: "+list.Subject, "3")
	d.one(mary).must(t, "You are booked on:", "Learning new skills")

	d.send(mary, "What's on", "what sessions are there?")
	d.one(mary)
	bare(mary, "no subject", "2")
	ask := d.one(mary)
	ask.must(t, "- book a place on:", "Promoting independence")
	d.reply(mary, ask, "yes")
	d.one(mary).must(t, "You are booked on:", "Promoting independence")

	d.send(mary, "What's on", "what sessions are there?")
	d.one(mary)
	d.send(mary, "no subject", "5") // DMARC passed for her domain: proven
	d.one(mary).must(t, "You are booked on:", "Accessing the local community")
}

// TestPersonNotBot: what a person should answer is not done by the bot
// instead, and thanks are not answered at all.
func TestPersonNotBot(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	for _, tc := range []struct{ name, text, why string }{
		{"a complaint naming a session", "I want to complain about the Learning new skills session, the room was cold", "It reads like a complaint."},
		{"a question about a session", "Is there step-free access to Learning new skills?", "They ask something I can't answer."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d.send(mary, "Learning new skills", tc.text)
			got := d.one(mary)
			got.must(t, "I have passed your email")
			got.mustNot(t, "You are booked on:", "You asked:")
			d.one(officer).must(t, tc.why)
			if b := d.bookings("bd-2027-03"); len(b) != 0 {
				t.Errorf("bookings = %q: the bot acted on words meant for a person", b)
			}
		})
	}

	d.send(mary, "Booking", "Please book me on Learning new skills, is there a bus from Weymouth?")
	conf := d.one(mary)
	conf.must(t, "You are booked on:", "I have passed your email")
	d.one(officer).must(t, "They ask something I can't answer.", `they asked to book "Learning new skills"`)

	// "ok" under a confirmation acknowledges it: it joins nobody to the
	// list, which needs a plain yes, and needs no answer.
	d.reply(mary, conf, "ok")
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("ok was answered with %q", got[0].Subject)
	}
	err := d.st.Write(context.Background(), func(tx *store.Tx) error {
		p, err := tx.PersonByEmail(context.Background(), mary)
		if err != nil {
			return err
		}
		sub, err := tx.Subscription(context.Background(), p.ID)
		if err == nil {
			t.Errorf("a bare ok joined the list: %+v", sub)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d.reply(mary, conf, "Thanks, see you then!")
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("thanks were answered with %q", got[0].Subject)
	}
	if got := d.mail(officer); len(got) != 0 {
		t.Errorf("thanks went to staff")
	}
}

// TestUrgentWithoutStaff: with nobody to pass it to, a message with words
// of risk still gets the numbers first, in the help or in the answer.
func TestUrgentWithoutStaff(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_STAFF": ""})
	for _, text := range []string{
		"honestly I don't know how much longer I can go on like this",
		"Please book me on 15 July. Some days I feel like ending it.",
	} {
		d.send(mary, "hello", text)
		got := d.one(mary)
		if !strings.HasPrefix(got.Text, "If you or someone else is in danger now, please call 999.") {
			t.Errorf("%q: the reply does not open with the help:\n%s", text, got.Text)
		}
	}
}

// TestTimetableAnswers: what the timetable says is answered, not passed
// to staff, and books nothing; what it can't say still goes to staff.
func TestTimetableAnswers(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	for _, c := range []struct{ text, want string }{
		{"What time does the Weymouth one finish?", "It finishes at 11am:"},
		{"Where is the learning new skills session?", "It is in person, here:"},
		{"Is the promoting independence one online?", "It is online:"},
		{"Are there any places left on 15 July?", "There are 20 places left on:"},
	} {
		d.send(mary, "question", c.text)
		got := d.one(mary)
		got.must(t, c.want)
		got.mustNot(t, "You are booked on:", "I have passed your email")
		if h := d.mail(officer); len(h) != 0 {
			t.Errorf("%q went to staff too", c.text)
		}
	}
	if got := d.bookings(""); len(got) != 0 {
		t.Errorf("questions booked %q", got)
	}
	// Answered beside a booking asked for at once.
	d.send(sam, "book", "Please book me on the Weymouth one. What time does it finish?")
	got := d.one(sam)
	got.must(t, "You are booked on:", "It finishes at 11am:")
	// Not the timetable's to answer: a person does.
	d.send(ann, "question", "Is there parking at the Weymouth one?")
	d.one(ann).must(t, "I have passed your email")
	d.one(officer)
}
