package mailbot

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/store"
)

// What Mary gives the bot, each distinctive enough that finding it after
// her erasure is a trace of her.
var maryTraces = []string{mary, "Mary Jones", "07700 900123", "BSL interpreter"}

// traces is where any of needles is still held in the desk's database.
func (d *rig) traces(needles ...string) []string {
	d.t.Helper()
	found, err := d.st.Traces(context.Background(), needles...)
	if err != nil {
		d.t.Fatal(err)
	}
	return found
}

// maryEverywhere has Mary book with a phone and access needs, join the
// mailing list, and appear in an attendee list sent to staff.
func maryEverywhere(t *testing.T, d *rig) {
	t.Helper()
	d.send("Mary Jones <"+mary+">", "book", "Please book me on 15 July for 2. I'll need a BSL interpreter. 07700 900123")
	d.reply(mary, d.one(mary), "yes") // the list offered under the confirmation
	d.one(mary).must(t, "you are on our mailing list")
	d.send(officer, "attendees", "attendees 15 July", provenStaff)
	d.one(officer).must(t, "Mary Jones")
	for _, n := range maryTraces {
		if len(d.traces(n)) == 0 {
			t.Fatalf("no %q in the database before erasing: the test would prove nothing", n)
		}
	}
}

func TestForgetByEmail(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	maryEverywhere(t, d)
	d.send(sam, "book", "Please book me on 15 July")
	d.one(sam)
	before := d.bookings("bd-2027-04")

	d.send("Mary Jones <"+mary+">", "Data", "Hello, please remove all my details. Thanks, Mary")
	ask := d.one(mary)
	ask.must(t, "Hello Mary", "If you reply YES to this email, I will delete:", "You have a place booked on:",
		"Giving my carers a break", "This place stays booked for you, but without your name", "Nothing is deleted unless you reply YES")
	ask.mustNot(t, "07700 900123", "BSL") // nothing more about her than needed
	if ask.ReplyTo == "" {
		t.Fatal("the question has no Reply-To naming it")
	}
	if got := d.traces(mary); len(got) == 0 {
		t.Fatal("asking erased her already")
	}

	d.reply(mary, ask, "YES")
	done := d.one(mary) // the last message still reaches her
	done.must(t, "Hello Mary", "I have deleted the details we held about you", "Your place stays booked, without your name",
		"This is the last email you will get from us")

	if left := d.traces(maryTraces...); len(left) > 0 {
		t.Errorf("traces of Mary after erasing and sending:\n%s", strings.Join(left, "\n"))
	}
	after := d.bookings("bd-2027-04")
	if len(after) != len(before) || !slices.Contains(after, sam+" confirmed 1") || !strings.HasPrefix(after[0], "(erased ") ||
		!strings.HasSuffix(after[0], " confirmed 2") {
		t.Errorf("bookings after erasing = %q, were %q: her 2 places should stay, without her", after, before)
	}
	// Staff's next attendee list shows her places, not her.
	d.send(officer, "attendees", "attendees 15 July", provenStaff)
	list := d.one(officer)
	list.mustNot(t, "Mary", mary, "07700 900123")
	list.must(t, "2 places")

	// Nothing more goes to her: not reminders, not newsletters.
	d.clock.Set(time.Date(2027, 7, 14, 9, 0, 0, 0, deskNow.Location()))
	if _, err := d.bot.SendReminders(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.mail(sam) // Sam's reminder
	if got := d.newsletter("July news", "Hello"); len(got) != 0 {
		t.Errorf("newsletter went to %d people, want none", len(got))
	}
	if left := d.traces(maryTraces...); len(left) > 0 {
		t.Errorf("traces of Mary after reminders and a newsletter:\n%s", strings.Join(left, "\n"))
	}

	// Nor in the file, once the periodic job has checkpointed.
	if err := d.bot.PruneBodies(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{d.bot.cfg.DB, d.bot.cfg.DB + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, n := range maryTraces {
			if i := bytes.Index(bytes.ToLower(b), bytes.ToLower([]byte(n))); i >= 0 {
				t.Errorf("%s holds %q at byte %d", f, n, i)
			}
		}
	}

	// If she writes again she is someone new.
	d.send(mary, "hello", "What sessions are there?")
	d.one(mary).mustNot(t, "Mary")
}

func TestForgetAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		answer string
		erased bool
		reply  []string // in the answer to it
	}{
		{"yes", "Yes", true, []string{"I have deleted the details"}},
		{"yes in words", "Yes please delete my data", true, []string{"I have deleted the details"}},
		{"no", "No", false, []string{"I haven't deleted\nanything"}},
		{"something else", "What sessions are there?", false, []string{"Giving my carers a break"}},
		// Erasing can't be undone: a yes with a condition erases nothing.
		{"yes with a question", "Yes - but does that mean I lose my place on the 15th July? If so then no, not yet.\n\nMary", false,
			[]string{"I couldn't be sure from it that you want your", "you are still booked on:", "passed your email"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDesk(t, nil)
			maryEverywhere(t, d)
			d.send(mary, "forget me", "forget me")
			d.reply(mary, d.one(mary), tc.answer)
			m := d.one(mary)
			m.must(t, tc.reply...)
			if left := d.traces(mary); (len(left) == 0) != tc.erased {
				t.Errorf("after %q: traces %v, want erased %v", tc.answer, left, tc.erased)
			}
		})
	}
}

// TestForgetPlainYesAfterUnsure: the question stays open after an answer
// that was not a plain yes, and staff have that answer to reply to.
func TestForgetPlainYesAfterUnsure(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	maryEverywhere(t, d)
	d.send(mary, "forget me", "forget me")
	ask := d.one(mary)
	d.reply(mary, ask, "Yes, but will I lose my place?")
	d.one(mary).must(t, "I haven't deleted anything")
	d.one(officer).must(t, "will I lose my place?")
	d.reply(mary, ask, "Yes")
	d.one(mary).must(t, "I have deleted the details")
	if left := d.traces(mary); len(left) > 0 {
		t.Errorf("traces of Mary after a plain yes: %v", left)
	}
}

// TestForgetOnlyByThem: nobody but the person, replying to the question
// itself, can erase them.
func TestForgetOnlyByThem(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	maryEverywhere(t, d)
	// A stranger writes in her name; she gets the question, they don't.
	d.send(mary, "delete my data", "delete my data")
	ask := d.one(mary)

	stillHers := func(after string) {
		t.Helper()
		if got := d.bookings("bd-2027-04"); !slices.Contains(got, mary+" confirmed 2") {
			t.Fatalf("after %s: bookings %q: she was erased", after, got)
		}
	}
	// The stranger's YES, citing the question, from their own address.
	d.reply(ann, ask, "YES")
	d.mail(ann)
	stillHers("a YES from another address")
	// Their YES in her name, but not a reply to the question: it cannot
	// name the question's token or Message-ID, as only she saw them.
	d.send(mary, "Re: Better Days: deleting your details", "YES")
	d.mail(mary)
	stillHers("a YES in her name citing nothing")
	d.send(mary, "Re: Better Days", "YES", "In-Reply-To: <guessed@localhost>")
	d.mail(mary)
	stillHers("a YES in her name citing a guess")
	// A second request the same day sends no second question.
	d.send(mary, "delete my data", "Please delete my data")
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("a second request the same day sent %d messages, want none", len(got))
	}
	// Her own reply, a day later, still erases her.
	d.clock.Set(deskNow.Add(25 * time.Hour))
	d.reply(mary, ask, "yes")
	d.one(mary).must(t, "I have deleted the details")
	if left := d.traces(maryTraces...); len(left) > 0 {
		t.Errorf("traces after her own yes:\n%s", strings.Join(left, "\n"))
	}
}

func TestForgetAndLeave(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	maryEverywhere(t, d)
	d.send(mary, "stop", "Please unsubscribe me and delete all my data")
	d.one(mary).must(t, "You also asked to leave our mailing list: I have taken you off it already.", "reply YES")
	if sub := d.subscription(mary); sub.Status != store.Unsubscribed {
		t.Errorf("after asking to leave and be erased: %s, want unsubscribed at once", sub.Status)
	}
}

// TestForgetCommand is what `mailbot forget` does, with a message to
// her still queued and an old free page or two in the file.
func TestForgetCommand(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	maryEverywhere(t, d)
	d.send(mary, "book", "Please book me on 26 August") // its answer stays queued
	e, err := Forget(context.Background(), d.st, "MARY@example.org", d.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !e.Person || e.Kept != 2 || e.Unsent != 1 || !e.Subscription || e.Naming < 1 {
		t.Errorf("Forget = %+v", e)
	}
	if left := d.traces(maryTraces...); len(left) > 0 {
		t.Errorf("traces:\n%s", strings.Join(left, "\n"))
	}
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("%d messages went to her after erasing, want none", len(got))
	}
	again, err := Forget(context.Background(), d.st, mary, d.clock.Now())
	if err != nil || again.Any() {
		t.Errorf("second Forget = %+v, %v; want nothing found", again, err)
	}
}

// TestPruneBodies drives the clock past MAILBOT_KEEP_BODIES_DAYS: what was
// written goes, what exactly-once needs stays.
func TestPruneBodies(t *testing.T) {
	t.Parallel()
	d := newDesk(t, map[string]string{"MAILBOT_KEEP_BODIES_DAYS": "30"})
	if d.bot.cfg.KeepBodiesDays != 30 {
		t.Fatalf("KeepBodiesDays = %d, want 30", d.bot.cfg.KeepBodiesDays)
	}
	raw := message(mary, "Booking for my mum", "old@example.org", "Please book me on 15 July")
	d.deliver(raw)
	d.one(mary).must(t, "You are booked on")
	d.clock.Set(deskNow.Add(20 * 24 * time.Hour))
	d.send(ann, "Booking", "Please book me on 26 August")
	d.one(ann)
	d.clock.Set(deskNow.Add(31 * 24 * time.Hour))
	d.send(sam, "Booking", "Please book me on 26 August") // queued, not yet sent

	if err := d.bot.PruneBodies(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Mary's confirmation, 31 days old, loses its body and her message its
	// subject; Ann's, 20 days old, and Sam's, queued, keep theirs.
	if got := d.traces("Giving my carers", "Booking for my mum"); slices.Contains(got, `outbox.body has "Giving my carers"`) ||
		slices.Contains(got, `inbound.subject has "Booking for my mum"`) {
		t.Errorf("after pruning: %v, want neither the old body nor the old subject", got)
	}
	if got := d.traces("By your side"); !slices.Contains(got, `outbox.body has "By your side"`) {
		t.Errorf("after pruning: %v, want the newer bodies kept", got)
	}
	msgs, err := d.st.OutboxByRcpt(context.Background(), sam)
	if err != nil || len(msgs) != 1 || msgs[0].Status != "queued" {
		t.Fatalf("Sam's queued answer = %+v, %v", msgs, err)
	}
	d.one(sam).must(t, "You are booked on") // a queued body is never pruned

	// The same message delivered again is still known, and not answered.
	d.deliver(raw)
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("a redelivered message got %d answers after pruning, want none", len(got))
	}
}
