package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// What the forgotten person gave us, each distinctive enough that finding
// it anywhere afterwards is a trace of them.
const (
	fgEmail = "mary.jones@example.org"
	fgName  = "Mary Jones"
	fgPhone = "07700 900123"
	fgNeeds = "I need a hoist"
)

// fgNeedles are the traces looked for, in the case they were given: the
// checks fold case themselves.
var fgNeedles = []string{fgEmail, fgName, fgPhone, fgNeeds}

// fgMentions stands in for the bot's reading of a message: whether the
// text names Mary by address or full name.
func fgMentions(b []byte) bool {
	l := bytes.ToLower(b)
	return bytes.Contains(l, []byte(strings.ToLower(fgEmail))) || bytes.Contains(l, []byte(strings.ToLower(fgName)))
}

// fgWorld is a database where Mary has done everything a person can, and
// Ann, who shares her sessions, has done some of it too.
type fgWorld struct {
	*bookingsEnv
	mary, ann int64
}

func newFgWorld(t *testing.T) *fgWorld {
	e := newBookingsEnv(t)
	w := &fgWorld{bookingsEnv: e}
	e.session("s1", bookT0.Add(7*24*time.Hour), 3)
	e.session("s2", bookT0.Add(8*24*time.Hour), 1)
	e.session("s3", bookT0.Add(9*24*time.Hour), 5)
	e.write(func(tx *Tx) (err error) {
		if w.mary, err = tx.NotePerson(e.ctx, fgEmail, fgName, bookT0); err != nil {
			return err
		}
		w.ann, err = tx.NotePerson(e.ctx, "ann@example.org", "Ann Smith", bookT0)
		return err
	})
	e.book(NewBooking{SessionID: "s1", PersonID: w.mary, Places: 2, Phone: fgPhone, Needs: fgNeeds}, bookT0)
	e.book(NewBooking{SessionID: "s1", PersonID: w.ann, Places: 1, Phone: "01305 221000"}, bookT0)
	e.book(NewBooking{SessionID: "s2", PersonID: w.ann, Places: 1}, bookT0)
	e.book(NewBooking{SessionID: "s2", PersonID: w.mary, Places: 1, Phone: fgPhone}, bookT0) // full: she waits
	gone, _ := e.book(NewBooking{SessionID: "s3", PersonID: w.mary, Places: 1, Needs: fgNeeds}, bookT0)
	e.cancel(gone.ID, bookT0)

	e.write(func(tx *Tx) error {
		ctx := e.ctx
		for _, in := range []Inbound{
			// Some mail programs make Message-IDs from the address.
			{Key: "<1234." + fgEmail + ">", Sender: fgEmail, Subject: "Booking for " + fgName, UID: 1},
			{Key: "<m2@example.org>", Sender: strings.ToUpper(fgEmail), Subject: "my phone is " + fgPhone, UID: 2},
			{Key: "<m3@example.org>", Sender: "officer@council.example", Subject: "Fwd: from " + fgName, UID: 3},
			{Key: "<m4@example.org>", Sender: "ann@example.org", Subject: "Ann's booking", UID: 4},
		} {
			in.Mailbox, in.UIDValidity, in.ReceivedAt, in.HandledAt = "INBOX", 1, bookT0, bookT0
			if _, err := tx.RecordInbound(ctx, in); err != nil {
				return err
			}
		}
		for i, m := range []OutMessage{
			{Kind: "answer", Rcpt: fgEmail, Body: []byte("To: " + fgName + " <" + fgEmail + ">\r\n\r\nWe will call you on " + fgPhone)},
			{Kind: "reminder", Rcpt: fgEmail, Body: []byte("To: " + fgEmail + "\r\n\r\nYou told us: " + fgNeeds)},
			{Kind: "attendees", Rcpt: "officer@council.example", Body: []byte("Mary Jones, mary.jones@example.org, " + fgPhone)},
			{Kind: "attendees", Rcpt: "officer@council.example", Body: []byte("Queued list: MARY JONES")},
			{Kind: "answer", Rcpt: "ann@example.org", Body: []byte("Hello Ann, you are booked.")},
		} {
			m.MessageID, m.MailFrom = fmt.Sprintf("<out%d@bot>", i), "bot@example.org"
			if _, err := tx.Enqueue(ctx, m, bookT0); err != nil {
				return err
			}
		}
		if err := tx.SaveOffer(ctx, Offer{Token: "tok1", MessageID: "<out0@bot>", PersonID: w.mary, Kind: OfferBook,
			Items: []string{"s1"}, Phone: fgPhone, Needs: fgNeeds}, bookT0); err != nil {
			return err
		}
		if err := tx.AskToJoin(ctx, w.mary, "email", bookT0); err != nil {
			return err
		}
		if err := tx.Confirm(ctx, w.mary, "email", "reply", "<consent."+fgEmail+">", bookT0); err != nil {
			return err
		}
		_, err := tx.RecordBounce(ctx, Bounce{PersonID: w.mary, Status: "4.2.2", Diagnostic: "452 <" + fgEmail + ">: mailbox full"},
			3, bookT0.Add(-time.Hour), bookT0)
		return err
	})
	// Two of Mary's and the first list to staff were sent; the rest wait.
	if err := e.s.Record(e.ctx,
		Outcome{ID: 1, Status: Sent, At: bookT0}, Outcome{ID: 3, Status: Sent, At: bookT0},
		Outcome{ID: 2, Status: Failed, At: bookT0, Reason: "550 5.1.1 <" + fgEmail + ">: no such user"}); err != nil {
		t.Fatal(err)
	}
	return w
}

// forget runs Forget at bookT0.
func (w *fgWorld) forget(email string) Erased {
	w.t.Helper()
	var got Erased
	w.write(func(tx *Tx) (err error) { got, err = tx.Forget(w.ctx, email, fgMentions, bookT0); return err })
	return got
}

// traces is Traces, failing the test on error.
func (e *bookingsEnv) traces(needles ...string) []string {
	e.t.Helper()
	found, err := e.s.Traces(e.ctx, needles...)
	if err != nil {
		e.t.Fatal(err)
	}
	return found
}

// placesTaken is every session's confirmed places, counted from the table.
func (e *bookingsEnv) placesTaken() map[string]int {
	out := map[string]int{}
	for _, s := range []string{"s1", "s2", "s3"} {
		out[s] = e.confirmedPlaces(s)
	}
	return out
}

func TestForgetLeavesNoTrace(t *testing.T) {
	t.Parallel()
	w := newFgWorld(t)
	for _, n := range fgNeedles {
		if len(w.traces(n)) == 0 {
			t.Fatalf("Traces finds no %q before forgetting: the test would prove nothing", n)
		}
	}
	before := w.placesTaken()

	got := w.forget(strings.ToUpper(fgEmail)) // as an officer might type it
	want := Erased{Person: true, Placeholder: fmt.Sprintf("(erased %d)", w.mary), Kept: 1, Waiting: 1, Subscription: true, Offers: 1, Bounces: 1,
		From: 2, To: 2, Unsent: 0, Naming: 3, NamingUnsent: 1}
	if got != want {
		t.Errorf("Forget = %+v\nwant     %+v", got, want)
	}
	if left := w.traces(fgNeedles...); len(left) > 0 {
		t.Errorf("traces left in the database:\n%s", strings.Join(left, "\n"))
	}
	if after := w.placesTaken(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("places taken changed: %v, was %v", after, before)
	}
	if sp := w.places("s1"); sp.Left != 0 {
		t.Errorf("s1 places left = %d, want 0 (Mary's 2 and Ann's 1 of 3)", sp.Left)
	}

	// Ann is untouched.
	for _, n := range []string{"ann@example.org", "Ann Smith", "01305 221000", "Hello Ann", "Ann's booking"} {
		if len(w.traces(n)) == 0 {
			t.Errorf("Ann's %q is gone too", n)
		}
	}
	// The queued list to staff that named her is not sent; Ann's answer is.
	due, err := w.s.DueOutbox(w.ctx, bookT0, true, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Rcpt != "ann@example.org" {
		t.Errorf("due after forgetting = %+v, want only Ann's answer", due)
	}
	// Nothing is ever sent to what is left of her, nor is she reminded.
	p, err := w.s.Person(w.ctx, w.mary)
	if err != nil {
		t.Fatal(err)
	}
	if p.Email != fmt.Sprintf("(erased %d)", w.mary) || p.Name != "" || !p.Suppressed {
		t.Errorf("her row = %+v, want an erased, suppressed placeholder", p)
	}
	placeholder := Outgoing{ID: 99, Rcpt: p.Email}
	if err := w.s.Recheck(w.ctx, &placeholder); err != nil {
		t.Fatal(err)
	}
	if ok, _ := placeholder.Wanted(); ok {
		t.Error("mail to the erased placeholder would be sent")
	}
	var reminders []Reminder
	w.write(func(tx *Tx) (err error) {
		reminders, err = tx.DueReminders(w.ctx, bookT0.Add(7*24*time.Hour-time.Hour), []time.Duration{48 * time.Hour, 2 * time.Hour}, 10)
		return err
	})
	for _, r := range reminders {
		if r.Booking.PersonID == w.mary {
			t.Errorf("a reminder is due to the erased person: %+v", r)
		}
	}
	// A redelivery of a message of hers is still recognised, by position.
	var seen bool
	w.write(func(tx *Tx) (err error) {
		seen, err = tx.Handled(w.ctx, Inbound{Key: "<1234." + fgEmail + ">", Mailbox: "INBOX", UIDValidity: 1, UID: 1})
		return err
	})
	if !seen {
		t.Error("a redelivered message of hers would be handled again")
	}

	// Again: nothing more to do, and nothing breaks.
	if again := w.forget(fgEmail); again.Any() {
		t.Errorf("second Forget = %+v, want nothing found", again)
	}
	if after := w.placesTaken(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("places taken changed on the second run: %v, was %v", after, before)
	}
}

// TestForgetLeavesNoBytes looks for her in the file itself: free pages,
// old row versions and the write-ahead log included.
func TestForgetLeavesNoBytes(t *testing.T) {
	t.Parallel()
	w := newFgWorld(t)
	w.forget(fgEmail)
	if done, err := w.s.Checkpoint(w.ctx); err != nil || !done {
		t.Fatalf("Checkpoint = %v, %v", done, err)
	}
	path := dbPath(t, w.s)
	w.s.Close()
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		lower := bytes.ToLower(b)
		for _, n := range fgNeedles {
			if i := bytes.Index(lower, []byte(strings.ToLower(n))); i >= 0 {
				t.Errorf("%s holds %q at byte %d", filepath.Base(f), n, i)
			}
		}
	}
}

// TestCompactLeavesNoBytes: data deleted before secure deletion was on
// (an older mailbot) lingers in free space until Compact.
func TestCompactLeavesNoBytes(t *testing.T) {
	t.Parallel()
	w := newFgWorld(t)
	if _, err := w.s.w.Exec(`PRAGMA secure_delete = off`); err != nil {
		t.Fatal(err)
	}
	w.forget(fgEmail)
	path := dbPath(t, w.s)
	holds := func() bool {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(fgEmail)))
	}
	if done, err := w.s.Checkpoint(w.ctx); err != nil || !done {
		t.Fatalf("Checkpoint = %v, %v", done, err)
	}
	if !holds() {
		t.Fatal("without secure deletion the file no longer holds the address: the test proves nothing")
	}
	if err := w.s.Compact(w.ctx); err != nil {
		t.Fatal(err)
	}
	w.s.Close()
	if holds() {
		t.Error("the compacted file still holds the address")
	}
}

func dbPath(t *testing.T, s *Store) string {
	t.Helper()
	var seq int
	var name, file string
	if err := s.w.QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestSecureDeleteIsOn(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	var on int
	if err := s.w.QueryRow(`PRAGMA secure_delete`).Scan(&on); err != nil {
		t.Fatal(err)
	}
	if on != 1 {
		t.Errorf("PRAGMA secure_delete = %d, want 1", on)
	}
}

// TestForgottenConfirmationClearsItself: the last message to someone
// erased by email keeps their address only until it has gone.
func TestForgottenConfirmationClearsItself(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		outcome Outcome
		cleared bool
	}{
		{Outcome{Status: Sent}, true},
		{Outcome{Status: Failed, Reason: "550 <" + fgEmail + "> unknown"}, true},
		{Outcome{Status: Dropped, Reason: "not sent: the address bounced"}, true},
		{Outcome{Status: Retry, Reason: "421 try later"}, false},
	} {
		t.Run(tc.outcome.Status, func(t *testing.T) {
			e := newBookingsEnv(t)
			var outID, inID int64
			e.write(func(tx *Tx) (err error) {
				inID, err = tx.RecordInbound(e.ctx, Inbound{Key: "<yes@x>", Mailbox: "INBOX", UIDValidity: 1, UID: 1,
					Sender: fgEmail, Subject: "Re: erasing " + fgName, ReceivedAt: bookT0, HandledAt: bookT0})
				if err != nil {
					return err
				}
				outID, err = tx.Enqueue(e.ctx, OutMessage{Kind: "forgotten", MessageID: "<done@bot>", MailFrom: "bot@x",
					Rcpt: fgEmail, Body: []byte("Hello Mary Jones"), InboundID: inID}, bookT0)
				return err
			})
			if left := e.traces(fgEmail, fgName); len(left) != 4 {
				t.Fatalf("before sending: %v, want the address and name in the queued row and the reply", left)
			}
			o := tc.outcome
			o.ID, o.At, o.Next = outID, bookT0, bookT0.Add(time.Minute)
			if err := e.s.Record(e.ctx, o); err != nil {
				t.Fatal(err)
			}
			left := e.traces(fgEmail, fgName)
			if tc.cleared && len(left) > 0 {
				t.Errorf("after %s: %v left", tc.outcome.Status, left)
			}
			if !tc.cleared && len(left) != 4 {
				t.Errorf("after %s: %v, want all kept for the next attempt", tc.outcome.Status, left)
			}
			var seen bool
			e.write(func(tx *Tx) (err error) {
				seen, err = tx.Handled(e.ctx, Inbound{Key: "<yes@x>", Mailbox: "OTHER"})
				return err
			})
			if !seen {
				t.Error("the reply that confirmed is no longer recognised by its key")
			}
		})
	}
}

func TestPruneBodies(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	now := bookT0.Add(200 * 24 * time.Hour)
	keep := 90 * 24 * time.Hour
	type row struct {
		name   string
		age    time.Duration
		status string // "" leaves it queued
		pruned bool
	}
	rows := []row{
		{"sent long ago", 100 * 24 * time.Hour, Sent, true},
		{"failed long ago", 95 * 24 * time.Hour, Failed, true},
		{"dropped long ago", 91 * 24 * time.Hour, Dropped, true},
		{"sent lately", 10 * 24 * time.Hour, Sent, false},
		{"queued long ago", 100 * 24 * time.Hour, "", false},
	}
	ids := map[string]int64{}
	for i, r := range rows {
		at := now.Add(-r.age)
		e.write(func(tx *Tx) error {
			inID, err := tx.RecordInbound(e.ctx, Inbound{Key: fmt.Sprintf("<in%d@x>", i), Mailbox: "INBOX", UIDValidity: 1, UID: uint32(i + 1),
				Sender: "ann@example.org", Subject: "subject " + r.name, ReceivedAt: at, HandledAt: at})
			if err != nil {
				return err
			}
			ids[r.name], err = tx.Enqueue(e.ctx, OutMessage{Kind: "answer", MessageID: fmt.Sprintf("<out%d@x>", i), MailFrom: "bot@x",
				Rcpt: "ann@example.org", Body: []byte("body " + r.name), InboundID: inID}, at)
			return err
		})
		if r.status != "" {
			if err := e.s.Record(e.ctx, Outcome{ID: ids[r.name], Status: r.status, At: at}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var sent, received int
	e.write(func(tx *Tx) (err error) { sent, received, err = tx.PruneBodies(e.ctx, now.Add(-keep)); return err })
	if sent != 3 || received != 4 {
		t.Errorf("PruneBodies = %d sent, %d received; want 3, 4", sent, received)
	}
	for i, r := range rows {
		var body []byte
		var subject, status, msgID, key string
		err := e.s.r.QueryRow(`SELECT o.body, o.status, o.message_id, i.subject, i.message_key FROM outbox o JOIN inbound i ON i.id = o.inbound_id WHERE o.id = ?`,
			ids[r.name]).Scan(&body, &status, &msgID, &subject, &key)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(body) == 0; got != r.pruned {
			t.Errorf("%s: body %q, want pruned %v", r.name, body, r.pruned)
		}
		wantStatus := r.status
		if wantStatus == "" {
			wantStatus = "queued"
		}
		if status != wantStatus || msgID != fmt.Sprintf("<out%d@x>", i) || key != fmt.Sprintf("<in%d@x>", i) {
			t.Errorf("%s: status %s, Message-ID %s, key %s: what exactly-once needs was touched", r.name, status, msgID, key)
		}
		if subjectPruned := subject == ""; subjectPruned != (r.age > keep) {
			t.Errorf("%s: subject %q, want pruned %v", r.name, subject, r.age > keep)
		}
	}
	// Pruning again finds nothing more.
	e.write(func(tx *Tx) (err error) { sent, received, err = tx.PruneBodies(e.ctx, now.Add(-keep)); return err })
	if sent != 0 || received != 0 {
		t.Errorf("second PruneBodies = %d, %d; want 0, 0", sent, received)
	}
}

func TestAskedToForgetSince(t *testing.T) {
	t.Parallel()
	e := newBookingsEnv(t)
	ann := e.person("ann@example.org")
	bob := e.person("bob@example.org")
	e.saveOffer(Offer{Token: "f1", MessageID: "<f1@bot>", PersonID: ann, Kind: OfferForget, Items: []string{}})
	e.saveOffer(Offer{Token: "j1", MessageID: "<j1@bot>", PersonID: bob, Kind: OfferJoin, Items: []string{}})
	for _, tc := range []struct {
		who   int64
		since time.Time
		want  bool
	}{
		{ann, bookT0.Add(-time.Hour), true},
		{ann, bookT0.Add(time.Hour), false},
		{bob, bookT0.Add(-time.Hour), false}, // another kind of question
	} {
		var got bool
		e.write(func(tx *Tx) (err error) { got, err = tx.AskedToForgetSince(e.ctx, tc.who, tc.since); return err })
		if got != tc.want {
			t.Errorf("AskedToForgetSince(%d, %v) = %v, want %v", tc.who, tc.since, got, tc.want)
		}
	}
}
