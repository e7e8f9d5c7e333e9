package mailbot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

const officer = "officer@localhost"

// provenStaff is the header our own server adds for a staff member's
// authenticated submission.
const provenStaff = "Authentication-Results: localhost; auth=pass smtp.auth=" + officer

// subscription is the list row of addr, failing the test when there is none.
func (d *rig) subscription(addr string) store.Subscription {
	d.t.Helper()
	var sub store.Subscription
	err := d.st.Write(context.Background(), func(tx *store.Tx) error {
		p, err := tx.PersonByEmail(context.Background(), addr)
		if err != nil {
			return err
		}
		sub, err = tx.Subscription(context.Background(), p.ID)
		return err
	})
	if err != nil {
		d.t.Fatalf("subscription of %s: %v", addr, err)
	}
	return sub
}

// joined puts addr on the list the way a person does: asks, then says yes.
func (d *rig) joined(addr string) {
	d.t.Helper()
	d.send(addr, "Mailing list", "Please add me to your mailing list")
	d.reply(addr, d.one(addr), "Yes")
	d.one(addr)
}

var linkPattern = regexp.MustCompile(`https?://\S+/list/(join|leave)/[a-z0-9]+`)

func TestListJoinByReply(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send("Mary Jones <"+mary+">", "Newsletter", "Hello, please keep me updated. Thanks, Mary")
	ask := d.one(mary)
	ask.must(t, "You asked: to join our mailing list", "please reply\nYES to this email", "/list/join/", "you won't hear from us")
	if sub := d.subscription(mary); sub.Status != store.Pending || sub.Source != "email" {
		t.Fatalf("after asking: %+v, want pending from email", sub)
	}

	// Asking again the same day sends nothing: a stranger could otherwise
	// flood Mary with requests in her name.
	d.send(mary, "subscribe", "subscribe")
	if got := d.mail(mary); len(got) != 0 {
		t.Fatalf("second request the same day: %d messages, want none", len(got))
	}

	d.reply(mary, ask, "Yes please")
	d.one(mary).must(t, "you are on our mailing list", "reply STOP")
	sub := d.subscription(mary)
	if sub.Status != store.Confirmed || sub.ConsentHow != desk.ConsentReply || sub.ConsentMessage == "" || !sub.ConsentedAt.Equal(d.clock.Now()) {
		t.Errorf("after yes: %+v, want confirmed by reply, with the reply's Message-ID and time", sub)
	}

	d.send(mary, "list", "Can you add me to the mailing list?")
	d.one(mary).must(t, "already on our mailing list")
}

func TestListJoinRequestsLapse(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(ann, "list", "subscribe")
	d.one(ann)
	d.clock.Set(deskNow.Add(31 * 24 * time.Hour))
	if err := d.bot.LapseRequests(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sub := d.subscription(ann); sub.Status != store.Lapsed {
		t.Fatalf("after 31 days: %s, want lapsed", sub.Status)
	}
}

func TestListNoToConfirmation(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(ann, "list", "subscribe")
	d.reply(ann, d.one(ann), "No thanks")
	d.one(ann).must(t, "we won't add you")
	if sub := d.subscription(ann); sub.Status != store.Pending {
		t.Errorf("after no: %s, want still pending (it lapses)", sub.Status)
	}
}

func TestListOfferedWithBooking(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "Please book me on 15 July")
	conf := d.one(mary)
	conf.must(t, "You are booked on", "Reply YES to\njoin our mailing list")
	d.reply(mary, conf, "yes")
	d.one(mary).must(t, "you are on our mailing list")
	if sub := d.subscription(mary); sub.Status != store.Confirmed || sub.Source != "booking" || sub.ConsentHow != desk.ConsentBooking {
		t.Errorf("after yes to the confirmation: %+v", sub)
	}
	// Once asked, never offered again.
	d.send(mary, "book", "Please book me on 26 August")
	d.one(mary).mustNot(t, "join our mailing list")
}

// TestListYesBesidePlaces: a reply to a confirmation that asks for places
// and, on a line of its own, says yes to the list does both.
func TestListYesBesidePlaces(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.send(mary, "book", "Please book me on 15 July")
	conf := d.one(mary)
	d.reply(mary, conf, "my husband Keith will be joining me so can we have 2 places please\n\nyes please")
	d.one(mary).must(t, "Places: 2", "you are on our mailing list")
	if sub := d.subscription(mary); sub.Status != store.Confirmed {
		t.Errorf("after yes beside places: %+v", sub)
	}
	// Places alone join nothing.
	d.send(ann, "book", "Please book me on 15 July")
	conf = d.one(ann)
	d.reply(ann, conf, "can we have 2 places please, my husband is coming")
	d.one(ann).mustNot(t, "you are on our mailing list")
}

func TestListLeaveByEmail(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	for i, words := range []string{"Unsubscribe", "Please take me off your list", "STOP", "no more emails please", "remove me"} {
		t.Run(words, func(t *testing.T) {
			who := fmt.Sprintf("leaver%d@example.org", i)
			d.joined(who)
			d.send(who, "book", "Please book me on 15 July")
			d.one(who)
			d.send(who, "Re: August news", words)
			m := d.one(who)
			m.must(t, "You are off our mailing list", "Your bookings are not affected")
			m.mustNot(t, "I have cancelled", "are you sure")
			if sub := d.subscription(who); sub.Status != store.Unsubscribed || sub.LeftHow != desk.LeftByEmail {
				t.Errorf("after %q: %+v", words, sub)
			}
			if got := d.bookings("bd-2027-04"); !slices.Contains(got, who+" confirmed 1") {
				t.Errorf("leaving the list cancelled the booking: %v", got)
			}
		})
	}
	d.send(ann, "stop", "unsubscribe")
	d.one(ann).must(t, "You are not on our mailing list")
}

// newsletter queues a newsletter and sends it, returning each
// subscriber's copy.
func (d *rig) newsletter(subject, md string) map[string][]*sent {
	d.t.Helper()
	d.queueNewsletter(subject, md)
	d.mail("")
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.inbox
	d.inbox = map[string][]*sent{}
	return out
}

func TestNewsletterCopies(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	people := []string{}
	for i := range 20 {
		p := fmt.Sprintf("reader%02d@example.org", i)
		people = append(people, p)
		d.joined(p)
	}
	d.send("left@example.org", "list", "subscribe")
	d.one("left@example.org") // pending, never confirmed: gets nothing
	d.joined("gone@example.org")
	d.send("gone@example.org", "stop", "unsubscribe")
	d.one("gone@example.org")

	got := d.newsletter("August news", "# August news\n\nNew sessions:\n\n{{sessions}}\n\n<script>alert(1)</script>\n")
	ids := map[string]bool{}
	for _, p := range people {
		copies := got[p]
		if len(copies) != 1 {
			t.Fatalf("%s got %d copies, want 1", p, len(copies))
		}
		c := copies[0]
		for k, want := range map[string]string{
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			"Precedence":            "bulk",
			"Auto-Submitted":        "auto-generated",
			"List-Id":               "Better Days news <news.localhost>",
		} {
			if v := c.Header.Get(k); v != want {
				t.Errorf("%s: %s = %q, want %q", p, k, v, want)
			}
		}
		lu := c.Header.Get("List-Unsubscribe")
		if !strings.Contains(lu, "<http://127.0.0.1:8080/list/leave/") || !strings.Contains(lu, "<mailto:betterdays+leave-") {
			t.Errorf("%s: List-Unsubscribe = %q, want an https and a mailto address", p, lu)
		}
		if ids[c.MessageID] {
			t.Errorf("%s: Message-ID %s used twice", p, c.MessageID)
		}
		ids[c.MessageID] = true
		c.must(t, "1. **Better Days: what makes a good day?**", "To book, reply to this email with the number", "reply STOP")
		if strings.Contains(c.HTML, "<script>") {
			t.Errorf("%s: raw HTML from the Markdown reached the HTML part", p)
		}
	}
	for _, p := range []string{"left@example.org", "gone@example.org"} {
		if len(got[p]) != 0 {
			t.Errorf("%s got the newsletter, want nothing", p)
		}
	}

	// "2" in reply to a copy books the second session it listed.
	first := got[people[0]][0]
	d.reply(people[0], first, "2")
	d.one(people[0]).must(t, "You are booked on")

	// The same newsletter again resumes it: nobody gets a second copy.
	if again := d.newsletter("August news", "# August news\n\nNew sessions:\n\n{{sessions}}\n\n<script>alert(1)</script>\n"); len(again) != 0 {
		t.Errorf("sending the same newsletter again sent %d more", len(again))
	}
}

// queueNewsletter drafts a newsletter and queues its copies, as
// `mailbot newsletter send` does.
func (d *rig) queueNewsletter(subject, md string) {
	d.t.Helper()
	ctx := context.Background()
	err := d.st.Write(ctx, func(tx *store.Tx) error {
		n, err := d.bot.DraftNewsletter(ctx, tx, subject, md, "cli")
		if err != nil {
			return err
		}
		_, err = d.bot.QueueNewsletter(ctx, tx, n)
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
}

// copyDropped checks that rcpt's newsletter copies were dropped, not sent.
func (d *rig) copyDropped(rcpt string) {
	d.t.Helper()
	msgs, _ := d.st.OutboxByRcpt(context.Background(), rcpt)
	for _, m := range msgs {
		if m.Kind == "newsletter" && m.Status != store.Dropped {
			d.t.Errorf("%s's copy: %+v, want dropped", rcpt, m)
		}
	}
}

func TestNewsletterNotSentAfterLeaving(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.joined(mary)
	d.joined(ann)
	d.queueNewsletter("News", "Hello")
	// Mary leaves while her copy waits in the queue.
	d.send(mary, "stop", "unsubscribe")
	if got := d.mail(mary); len(got) != 1 || got[0].Subject == "News" {
		t.Fatalf("mary got %d messages, want only the confirmation that she left", len(got))
	}
	if got := d.mail(ann); len(got) != 1 || got[0].Subject != "News" {
		t.Errorf("ann got %v, want the newsletter", got)
	}
	d.copyDropped(mary)
}

// A copy already claimed with its batch is not sent once its person has
// left, when the claim's reading of them is more than a moment old
// (recheckAfter): a batch held up by a slow server reads its recipients
// again before each copy.
func TestNewsletterNotSentAfterLeavingOnceClaimed(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.joined(mary)
	d.joined(ann)
	d.queueNewsletter("News", "Hello")
	ctx := context.Background()
	batch, err := d.st.DueOutbox(ctx, d.clock.Now(), true, 10)
	if err != nil || len(batch) != 2 {
		t.Fatalf("DueOutbox = %d messages, %v; want the two copies", len(batch), err)
	}
	// Mary leaves once the copies are claimed, before they go.
	err = d.st.Write(ctx, func(tx *store.Tx) error {
		p, err := tx.PersonByEmail(ctx, mary)
		if err == nil {
			_, err = tx.Leave(ctx, p.ID, "reply", d.clock.Now())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.outbox.sendBatch(ctx, batch, time.Now().Add(-2*recheckAfter)); err != nil {
		t.Fatal(err)
	}
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("mary got %d messages after leaving, want none", len(got))
	}
	if got := d.mail(ann); len(got) != 1 || got[0].Subject != "News" {
		t.Errorf("ann got %v, want the newsletter", got)
	}
	d.copyDropped(mary)
}

func TestListLeaveByMailto(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.joined(mary)
	c := d.newsletter("News", "Hello")[mary][0]
	mailto := regexp.MustCompile(`mailto:([^?>]+)`).FindStringSubmatch(c.Header.Get("List-Unsubscribe"))[1]
	// Sent by the mail program's own unsubscribe button, from another
	// address of hers, with no words.
	raw := fmt.Sprintf("From: m.jones@work.example\r\nTo: %s\r\nSubject: unsubscribe\r\nMessage-ID: <u1@work.example>\r\n\r\n\r\n", mailto)
	d.deliver(raw)
	if sub := d.subscription(mary); sub.Status != store.Unsubscribed || sub.LeftHow != desk.LeftByMailto {
		t.Fatalf("after the mailto: %+v", sub)
	}
	d.one(mary).must(t, "You are off our mailing list")

	// A tampered token is an ordinary message.
	forged := strings.Replace(mailto, "leave-", "leave-a", 1)
	d.joined(ann)
	d.deliver(fmt.Sprintf("From: x@evil.example\r\nTo: %s\r\nSubject: unsubscribe\r\nMessage-ID: <u2@evil.example>\r\n\r\nhello\r\n", forged))
	if sub := d.subscription(ann); sub.Status != store.Confirmed {
		t.Errorf("a forged token changed ann: %+v", sub)
	}
}

func TestListLinks(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	svc := &Service{Bot: d.bot, Store: d.st}
	srv := httptest.NewServer(newWeb(svc, d.bot.log).handler())
	t.Cleanup(srv.Close)
	local := func(link string) string {
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		return srv.URL + u.Path
	}
	get := func(method, u string, body string) (int, string) {
		req, _ := http.NewRequest(method, u, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	// Join by link: GET only asks; POST confirms.
	d.send(mary, "list", "subscribe")
	join := local(linkPattern.FindString(d.one(mary).Text))
	if code, page := get("GET", join, ""); code != 200 || !strings.Contains(page, "Yes, add me") || !strings.Contains(page, mary) {
		t.Fatalf("GET join = %d %q", code, page)
	}
	if sub := d.subscription(mary); sub.Status != store.Pending {
		t.Fatalf("a GET changed the subscription: %s", sub.Status)
	}
	if code, page := get("POST", join, ""); code != 200 || !strings.Contains(page, "is on our mailing list") {
		t.Fatalf("POST join = %d %q", code, page)
	}
	if sub := d.subscription(mary); sub.Status != store.Confirmed || sub.ConsentHow != desk.ConsentLink {
		t.Fatalf("after POST: %+v", sub)
	}
	d.one(mary).must(t, "you are on our mailing list")

	// Leave by the newsletter's one-click link (RFC 8058).
	c := d.newsletter("News", "Hello")[mary][0]
	leave := local(regexp.MustCompile(`<(http[^>]+)>`).FindStringSubmatch(c.Header.Get("List-Unsubscribe"))[1])
	if code, page := get("GET", leave, ""); code != 200 || !strings.Contains(page, `<form method="post">`) {
		t.Fatalf("GET leave = %d %q", code, page)
	}
	if sub := d.subscription(mary); sub.Status != store.Confirmed {
		t.Fatalf("a GET unsubscribed: %s", sub.Status)
	}
	if code, page := get("POST", leave, "List-Unsubscribe=One-Click"); code != 200 || !strings.Contains(page, "is off our mailing list") {
		t.Fatalf("POST leave = %d %q", code, page)
	}
	if sub := d.subscription(mary); sub.Status != store.Unsubscribed || sub.LeftHow != desk.LeftByLink {
		t.Fatalf("after one-click: %+v", sub)
	}
	d.one(mary).must(t, "You are off our mailing list")
	// Again: still off, and no second email.
	if code, _ := get("POST", leave, "List-Unsubscribe=One-Click"); code != 200 {
		t.Errorf("second POST = %d", code)
	}
	if got := d.mail(mary); len(got) != 0 {
		t.Errorf("second unsubscribe sent %d emails, want none", len(got))
	}
	// The old join link cannot put her back.
	if code, _ := get("POST", join, ""); code != http.StatusGone {
		t.Errorf("old join link after leaving = %d, want 410", code)
	}

	for name, u := range map[string]string{
		"tampered":      tamper(leave),
		"wrong purpose": strings.Replace(join, "/join/", "/leave/", 1),
		"not base32":    srv.URL + "/list/leave/%21%21",
	} {
		if code, page := get("POST", u, ""); code != http.StatusBadRequest || !strings.Contains(page, "doesn't work") {
			t.Errorf("%s: POST = %d %q, want 400 and a plain page", name, code, page)
		}
	}
	d.clock.Set(deskNow.Add(40 * 24 * time.Hour))
	d.send(ann, "list", "subscribe")
	annJoin := local(linkPattern.FindString(d.one(ann).Text))
	d.clock.Set(deskNow.Add(80 * 24 * time.Hour))
	if code, page := get("POST", annJoin, ""); code != http.StatusGone || !strings.Contains(page, "out of date") {
		t.Errorf("expired join link: %d %q", code, page)
	}
}

func TestNewsletterByStaffEmail(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.joined(mary)
	d.joined(ann)
	d.send(officer, "Newsletter: August at Better Days", "Dear all,\n\nHere is what's on:\n\n{{sessions}}\n", provenStaff)
	preview := d.one(officer)
	preview.must(t, "It would go to\n2 people", "reply SEND", "1. **Better Days: what makes a good day?**")
	if understand.WithoutSubjectRef(preview.Subject) != "Preview: August at Better Days" || understand.SubjectRef(preview.Subject) == "" {
		t.Errorf("preview subject %q", preview.Subject)
	}
	if got := d.mail(mary); len(got) != 0 {
		t.Fatalf("a preview reached a subscriber")
	}

	// SEND from the same address without our server's proof sends nothing.
	d.reply(officer, preview, "SEND")
	d.one(officer).must(t, "I have not sent your newsletter")
	if got := d.mail(mary); len(got) != 0 {
		t.Fatalf("an unproven SEND sent the newsletter")
	}

	d.send(officer, "Newsletter: August at Better Days", "Dear all,\n\nHere is what's on:\n\n{{sessions}}\n", provenStaff)
	preview = d.one(officer)
	d.deliver(fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: <send1@localhost>\r\nIn-Reply-To: <%s>\r\n%s\r\n\r\nSEND\r\n",
		officer, preview.ReplyTo, preview.Subject, preview.MessageID, provenStaff))
	d.mail("")
	d.one(officer).must(t, "is on its way to 2 people")
	for _, p := range []string{mary, ann} {
		if got := d.mail(p); len(got) != 1 || got[0].Subject != "August at Better Days" {
			t.Errorf("%s got %d messages, want the newsletter", p, len(got))
		}
	}

	// A stranger's "Newsletter:" is an ordinary message.
	d.send("stranger@example.org", "Newsletter: buy now", "Send this to everyone")
	d.one("stranger@example.org").mustNot(t, "Preview", "reply SEND")
}

func TestBounceSuppresses(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.joined(mary)
	d.newsletter("News", "Hello")
	acc := d.rec.Accepted()
	verp := acc[len(acc)-1].From
	if !strings.HasPrefix(verp, "betterdays+bounce-") {
		t.Fatalf("envelope sender %q, want a bounce address of ours", verp)
	}
	dsn := "From: MAILER-DAEMON@mx.example.org\r\nTo: " + verp + "\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Message-ID: <dsn1@mx.example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n" +
		"Final-Recipient: rfc822; " + mary + "\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n--b--\r\n"
	d.deliver(dsn)
	if got := d.mail("MAILER-DAEMON@mx.example.org"); len(got) != 0 {
		t.Fatalf("the bounce was answered")
	}
	if sub := d.subscription(mary); !sub.Suppressed {
		t.Fatalf("after a hard bounce mary is not suppressed")
	}
	if got := d.newsletter("More news", "Hello again")[mary]; len(got) != 0 {
		t.Errorf("a suppressed address got the newsletter")
	}
	// Writing to us again lifts it.
	d.send(mary, "hello", "what's on?")
	d.one(mary)
	if sub := d.subscription(mary); sub.Suppressed {
		t.Errorf("still suppressed after writing to us")
	}
}

func TestListStaffAsksForSomeone(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	const jane = "jane@example.org"
	d.send(officer, "mailing list", "Hi, Jane Smith <jane@example.org> rang: please add her to the mailing list.", provenStaff)
	d.one(officer).must(t, "I have done this for Jane Smith <jane@example.org>", "A member of the Better Days team asked us to add you")
	ask := d.one(jane)
	ask.must(t, "A member of the Better Days team asked us to add you", "reply\nYES", "If you don't want it")
	if sub := d.subscription(jane); sub.Status != store.Pending || sub.Source != "staff" {
		t.Fatalf("after staff asked: %+v, want pending from staff", sub)
	}
	d.reply(jane, ask, "yes")
	d.one(jane).must(t, "you are on our mailing list")
	if sub := d.subscription(jane); sub.Status != store.Confirmed || sub.Source != "staff" || sub.ConsentHow != desk.ConsentReply {
		t.Errorf("after Jane's yes: %+v, want confirmed by her reply, source staff", sub)
	}

	// A forward: the person whose message it is gets asked.
	fwd := "From: " + officer + "\r\nTo: " + botAddress + "\r\nSubject: Fwd: newsletter\r\nMessage-ID: <f1@localhost>\r\n" + provenStaff + "\r\n\r\n" +
		"Can you add this lady please\r\n\r\n---------- Forwarded message ---------\r\nFrom: Olive Brown <olive@example.org>\r\n" +
		"Date: Mon, 14 Jun 2027 at 10:00\r\nSubject: newsletter\r\nTo: <" + officer + ">\r\n\r\nPlease put me on your mailing list.\r\n"
	d.deliver(fwd)
	d.one(officer).must(t, "I have done this for Olive Brown <olive@example.org>")
	olive := d.one("olive@example.org")
	olive.must(t, "A member of the Better Days team asked us")
	olive.mustNot(t, "Reply with the number to book")

	// Without our server's proof, the same words only concern the sender.
	d.send(officer, "mailing list", "please add victim@example.org to the mailing list")
	if got := d.mail("victim@example.org"); len(got) != 0 {
		t.Errorf("an unproven staff address got mail sent to someone else")
	}
	d.one(officer).must(t, "You asked: to join our mailing list")
}

// tamper changes the last two characters of a link's token, each to
// another base32 letter: "aa" in their place was no change one time in
// 1,024, when the token already ended so.
func tamper(link string) string {
	b := []byte(link)
	for i := len(b) - 2; i < len(b); i++ {
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
	}
	return string(b)
}
