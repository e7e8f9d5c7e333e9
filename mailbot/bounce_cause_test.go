package mailbot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBounceByCause: what a delivery report does to its recipient depends
// on why it failed. An address that is gone stops mail at once; a full
// mailbox only counts; a refusal of the council's own mail (DMARC, a
// blocked IP) never counts against anyone, and a handful of them pause
// list mail, tell staff once, and leave replies to people going.
// staffAddress is newDesk's MAILBOT_STAFF.
const staffAddress = "officer@localhost"

// bounceReport delivers a standard delivery report from from (none when
// ""), to the bounce address verp, saying mail to rcpt failed with status
// and diag, and returns what the bot made of it.
func (d *rig) bounceReport(from, verp, rcpt, status, diag string) string {
	d.t.Helper()
	d.reports++
	id := fmt.Sprintf("dsn%d@mx.example.org", d.reports)
	fromLine := ""
	if from != "" {
		fromLine = "From: " + from + "\r\n"
	}
	d.deliver(fromLine + "To: " + verp + "\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Message-ID: <" + id + ">\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: " + status + "\r\nDiagnostic-Code: smtp; " + diag + "\r\n--b--\r\n")
	outcome, err := d.st.InboundOutcome(context.Background(), id)
	if err != nil {
		d.t.Fatal(err)
	}
	return outcome
}

func TestBounceByCause(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	var readers []string
	for i := range 8 {
		p := fmt.Sprintf("reader%d@example.org", i)
		readers = append(readers, p)
		d.joined(p)
	}
	d.newsletter("News", "Hello")
	verp := map[string]string{}
	for _, m := range d.rec.Accepted() {
		verp[m.To[0]] = m.From
	}
	// report delivers a delivery report from from, to rcpt's bounce
	// address, and returns what the bot made of it.
	report := func(from, rcpt, status, diag string) string {
		t.Helper()
		return d.bounceReport(from, verp[rcpt], rcpt, status, diag)
	}
	const dmarc = "550 5.7.26 Unauthenticated email from localhost is not accepted due to domain's DMARC policy"
	for i, tc := range []struct {
		from, status, diag string
		outcome            string // what the outcome starts with
		suppressed         bool
	}{
		{"<MAILER-DAEMON>", "5.1.1", "550 5.1.1 no such user", "bounce: permanent failure 5.1.1 for reader0@example.org; reason userunknown", true},
		{"MAILER-DAEMON <>", "5.2.2", "552 5.2.2 Mailbox full", "bounce: temporary failure 5.2.2 for reader1@example.org; reason mailboxfull", false},
		{"", "5.7.606", "550 5.7.606 Access denied, banned sending IP [192.0.2.1]", "bounce: our own failure 5.7.606 for reader2@example.org; reason blocked", false},
		{"MAILER-DAEMON@mx.example.org", "5.7.26", dmarc, "bounce: our own failure 5.7.26 for reader3@example.org; reason authfailure", false},
		{"MAILER-DAEMON@mx.example.org", "5.7.26", dmarc, "bounce: our own failure", false},
		{"MAILER-DAEMON@mx.example.org", "5.7.26", dmarc, "bounce: our own failure", false},
	} {
		rcpt := readers[i]
		got := report(tc.from, rcpt, tc.status, tc.diag)
		if !strings.HasPrefix(got, tc.outcome) {
			t.Errorf("report from %q for %s: outcome %q, want it to start %q", tc.from, rcpt, got, tc.outcome)
		}
		if s := d.subscription(rcpt).Suppressed; s != tc.suppressed {
			t.Errorf("after %s %s for %s: suppressed %v, want %v", tc.status, tc.diag, rcpt, s, tc.suppressed)
		}
		if got := d.mail(staffAddress); len(got) != 0 {
			t.Fatalf("staff were told after %d failures of ours: %q", i-1, got[0].Subject)
		}
	}
	// The fifth person whose mail was refused for a reason of ours.
	if got := report("MAILER-DAEMON@mx.example.org", readers[6], "5.7.26", dmarc); !strings.Contains(got, "list mail paused and staff told") {
		t.Fatalf("fifth failure of ours: outcome %q, want list mail paused", got)
	}
	alert := d.one(staffAddress)
	alert.must(t, "I have stopped sending newsletters", "mail for 5 people", "Nobody has been taken off the mailing list",
		"5.7.606 Access denied, banned sending IP", "DMARC policy", "SPF, DKIM or DMARC", "a block list", "mailbot newsletter resume")
	if !strings.HasPrefix(alert.Subject, "Newsletters paused") {
		t.Errorf("alert subject %q", alert.Subject)
	}
	// A monitor sees it: /healthz says so (and stays OK: the bot works),
	// /metrics has the gauges.
	srv := httptest.NewServer(webFor(d, InboxStatus{Connected: true}).handler())
	t.Cleanup(srv.Close)
	if code, rep, _ := health(t, srv.URL+"/healthz"); code != http.StatusOK || rep["bulk_paused"] != true || !strings.Contains(rep["bulk_paused_why"].(string), "authfailure") {
		t.Errorf("healthz while paused: %d %v, want 200 with bulk_paused and why", code, rep)
	}
	metrics := func() string {
		t.Helper()
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	for _, want := range []string{"\nmailbot_bulk_paused 1\n", `mailbot_bounces{fault="recipient"} 1` + "\n", `mailbot_bounces{fault="transient"} 1` + "\n",
		`mailbot_bounces{fault="sender"} 5` + "\n", "mailbot_suppressed_addresses 1\n", "mailbot_complaints 0\n"} {
		if got := metrics(); !strings.Contains(got, want) {
			t.Errorf("/metrics while paused lacks %q:\n%s", want, got)
		}
	}

	// Another is recorded, and staff are not told again.
	report("MAILER-DAEMON@mx.example.org", readers[7], "5.7.26", dmarc)
	if got := d.mail(staffAddress); len(got) != 0 {
		t.Errorf("staff told twice: %q", got[0].Subject)
	}

	// While paused, a newsletter waits and a person still gets an answer.
	if copies := d.newsletter("More news", "Hello again"); len(copies) != 0 {
		t.Errorf("a newsletter went out while paused: %d copies", len(copies))
	}
	d.send(readers[5], "sessions?", "what sessions are there?")
	if got := d.mail(readers[5]); len(got) != 1 {
		t.Errorf("a reply to a person while paused: %d messages, want 1", len(got))
	}
	// A reply SEND to the alert resumes, from staff proven only.
	sendTo := func(id, auth string) {
		t.Helper()
		d.deliver("From: " + staffAddress + "\r\nTo: " + alert.ReplyTo + "\r\nSubject: Re: " + alert.Subject +
			"\r\nMessage-ID: <" + id + "@localhost>\r\nIn-Reply-To: <" + alert.MessageID + ">\r\n" +
			"Authentication-Results: localhost; " + auth + "\r\n\r\nSEND\r\n\r\n> I have stopped sending newsletters\r\n")
	}
	sendTo("forged", "none")
	if p, _ := d.st.BulkPause(context.Background()); !p.Paused {
		t.Fatal("an unproven SEND resumed list mail")
	}
	d.mail(staffAddress)
	sendTo("send", "auth=pass smtp.auth="+staffAddress)
	d.one(staffAddress).must(t, "list mail is going again")
	if p, _ := d.st.BulkPause(context.Background()); p.Paused {
		t.Fatal("staff's SEND did not resume list mail")
	}
	if got := metrics(); !strings.Contains(got, "\nmailbot_bulk_paused 0\n") {
		t.Errorf("/metrics after resuming:\n%s", got)
	}
	d.mail("")
	// Everyone on the list but reader0 (gone) gets it now, once.
	sentTo := map[string]int{}
	for _, m := range d.rec.Accepted() {
		if strings.Contains(string(m.Data), "Subject: More news") {
			sentTo[m.To[0]]++
		}
	}
	for i, r := range readers {
		if want := min(i, 1); sentTo[r] != want {
			t.Errorf("after resuming, %s got %d copies of the second newsletter, want %d", r, sentTo[r], want)
		}
	}
}

// TestSenderFaultNeverSuppresses: a person whose mail is refused again
// and again for reasons of the council's own (its authentication, its
// IP, its content, its rate) stays on the list however many times it
// happens, where as many full-mailbox failures stop mail to a person;
// and the refusals still count towards telling staff it is us.
func TestSenderFaultNeverSuppresses(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	const repeated, full = "reader0@example.org", "full@example.org"
	others := []string{"reader1@example.org", "reader2@example.org", "reader3@example.org", "reader4@example.org"}
	for _, p := range append([]string{repeated, full}, others...) {
		d.joined(p)
	}
	d.newsletter("News", "Hello")
	// More mail to the two, each copy with a bounce address of its own.
	for range d.bot.cfg.SoftBounces + 1 {
		d.send(repeated, "sessions?", "what sessions are there?")
		d.send(full, "sessions?", "what sessions are there?")
	}
	d.mail("")
	verps := map[string][]string{}
	for _, m := range d.rec.Accepted() {
		verps[m.To[0]] = append(verps[m.To[0]], m.From)
	}
	if n := len(verps[repeated]); n <= d.bot.cfg.SoftBounces {
		t.Fatalf("%d messages to %s, want more than the soft limit of %d", n, repeated, d.bot.cfg.SoftBounces)
	}
	ours := []struct{ status, diag string }{
		{"5.7.26", "550 5.7.26 Unauthenticated email from localhost is not accepted due to domain's DMARC policy"},
		{"5.7.606", "550 5.7.606 Access denied, banned sending IP [192.0.2.1]"},
		{"5.7.1", "550 5.7.1 Message rejected as spam by Content Filtering"},
		{"4.7.28", "421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address"},
		{"5.7.1", "554 5.7.1 Client host rejected: blocked using zen.spamhaus.org"},
	}
	for i, verp := range verps[repeated] {
		why := ours[i%len(ours)]
		got := d.bounceReport("MAILER-DAEMON@mx.example.org", verp, repeated, why.status, why.diag)
		if !strings.Contains(got, "our own failure") || !strings.Contains(got, "not counted against them") {
			t.Errorf("refusal %d (%s): outcome %q, want our own failure, not counted", i+1, why.diag, got)
		}
		if s := d.subscription(repeated); s.Suppressed || s.Status != "confirmed" {
			t.Fatalf("after %d refusals of ours, %s: %+v, want still subscribed", i+1, repeated, s)
		}
	}
	// The control: as many failures of the recipient's own stop mail.
	for _, verp := range verps[full][:d.bot.cfg.SoftBounces] {
		d.bounceReport("MAILER-DAEMON@mx.example.org", verp, full, "4.2.2", "452 4.2.2 Mailbox full")
	}
	if !d.subscription(full).Suppressed {
		t.Errorf("%d full-mailbox failures did not stop mail to %s", d.bot.cfg.SoftBounces, full)
	}
	// One person is no pattern; five people are, and staff hear it.
	if got := d.mail(staffAddress); len(got) != 0 {
		t.Fatalf("staff told after one person's refusals: %q", got[0].Subject)
	}
	for i, p := range others {
		got := d.bounceReport("MAILER-DAEMON@mx.example.org", verps[p][0], p, ours[0].status, ours[0].diag)
		if last := i == len(others)-1; last != strings.Contains(got, "list mail paused and staff told") {
			t.Errorf("refusal for %s, person %d of ours: outcome %q", p, i+2, got)
		}
	}
	d.one(staffAddress).must(t, "I have stopped sending newsletters", "Nobody has been taken off the mailing list", "SPF, DKIM or DMARC")
	if s := d.subscription(repeated); s.Suppressed {
		t.Errorf("after the pause, %s: %+v, want still subscribed", repeated, s)
	}
}

// TestComplaint: a person who marks a newsletter as spam leaves the list
// at once, with no mail about it, keeps their bookings, and is counted; a
// complaint rate above 0.3% tells staff once. A complaint that proves no
// message of ours counts against nobody.
func TestComplaint(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	var readers []string
	for i := range 3 {
		p := fmt.Sprintf("reader%d@example.org", i)
		readers = append(readers, p)
		d.joined(p)
	}
	d.send(readers[0], "booking", "Please book me on Learning new skills")
	d.mail(readers[0])
	booked := d.bookings("bd-2027-03")
	if len(booked) != 1 {
		t.Fatalf("booking: %v, want reader0's", booked)
	}
	copies := d.newsletter("News", "Hello")
	n := 0
	// arf delivers a feedback report to the bot's plain address (where
	// feedback loops are registered), returning the header of the
	// message sent to rcpt, and returns what the bot made of it.
	arf := func(rcpt, returnPath, listUnsub string) string {
		t.Helper()
		n++
		id := fmt.Sprintf("arf%d@fbl.example.net", n)
		d.deliver("From: fbl@fbl.example.net\r\nTo: " + botAddress + "\r\nSubject: Abuse report\r\nMessage-ID: <" + id + ">\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nA user complained.\r\n" +
			"--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: ExampleFBL/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: " + rcpt + "\r\n\r\n" +
			"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nReturn-Path: <" + returnPath + ">\r\nList-Unsubscribe: " + listUnsub + "\r\nTo: " + rcpt + "\r\nSubject: News\r\n\r\n--b--\r\n")
		outcome, err := d.st.InboundOutcome(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return outcome
	}
	verp := map[string]string{}
	for _, m := range d.rec.Accepted() {
		verp[m.To[0]] = m.From
	}
	// A forger's: names reader1 but carries no token of ours.
	if got := arf(readers[1], "someone@example.net", "<mailto:x@example.net>"); !strings.Contains(got, "counted against nobody") {
		t.Errorf("complaint without our token: outcome %q", got)
	}
	if d.subscription(readers[1]).Status != "confirmed" {
		t.Errorf("a forged complaint took %s off the list", readers[1])
	}
	// reader0's, by the envelope sender of their copy.
	unsub := copies[readers[0]][0].Header.Get("List-Unsubscribe")
	if got := arf(readers[0], verp[readers[0]], unsub); !strings.HasPrefix(got, "complaint (abuse)") || !strings.Contains(got, "staff told") {
		t.Errorf("complaint about reader0's copy: outcome %q, want off the list and staff told (1 in 3 is over 0.3%%)", got)
	}
	if s := d.subscription(readers[0]); s.Status != "unsubscribed" || s.Suppressed {
		t.Errorf("after a complaint: %+v, want unsubscribed and not suppressed", s)
	}
	if got := d.bookings("bd-2027-03"); fmt.Sprint(got) != fmt.Sprint(booked) {
		t.Errorf("a complaint touched bookings: %v, was %v", got, booked)
	}
	if got := d.mail(readers[0]); len(got) != 0 {
		t.Errorf("the complainant was sent %q", got[0].Subject)
	}
	d.one(staffAddress).must(t, `marked the newsletter "News" as spam`, "33.3%", "taken off the mailing list")
	// reader2's, by the List-Unsubscribe alone: counted, staff not told again.
	if got := arf(readers[2], "bounces@elsewhere.example", copies[readers[2]][0].Header.Get("List-Unsubscribe")); !strings.HasPrefix(got, "complaint (abuse)") || strings.Contains(got, "staff told") {
		t.Errorf("second complaint: outcome %q, want off the list, staff not told again", got)
	}
	if got := d.mail(staffAddress); len(got) != 0 {
		t.Errorf("staff told twice: %q", got[0].Subject)
	}
}

// TestUnreadReport: a report to our bounce address that cannot be read
// counts as a temporary failure and goes to staff, attached; an
// out-of-office reply to the same address is no report.
func TestUnreadReport(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil)
	d.joined(mary)
	d.newsletter("News", "Hello")
	var verp string
	for _, m := range d.rec.Accepted() {
		if m.To[0] == mary {
			verp = m.From
		}
	}
	raw := "From: postmaster@mx.example.net\r\nTo: " + verp + "\r\nSubject: Nachricht nicht zustellbar\r\nMessage-ID: <odd@mx.example.net>\r\n\r\nIhre Nachricht konnte nicht zugestellt werden.\r\n"
	d.deliver(raw)
	if got, _ := d.st.InboundOutcome(context.Background(), "odd@mx.example.net"); !strings.HasPrefix(got, "bounce: unreadable report for "+mary+"; counted as a temporary failure; passed to staff") {
		t.Errorf("unreadable report: outcome %q", got)
	}
	if d.subscription(mary).Suppressed {
		t.Error("one unreadable report suppressed mary")
	}
	m := d.one(staffAddress)
	m.must(t, "could not read what it says", mary, "3 of them within 30 days")
	if len(m.Attached) != 1 || !strings.Contains(string(m.Attached[0]), "Ihre Nachricht") {
		t.Errorf("the report is not attached as it came: %d attachments", len(m.Attached))
	}
	d.deliver("From: Mary <" + mary + ">\r\nTo: " + verp + "\r\nSubject: Automatic reply: News\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <oof@example.org>\r\n\r\nI am away.\r\n")
	if got, _ := d.st.InboundOutcome(context.Background(), "oof@example.org"); !strings.HasPrefix(got, "ignored: automatic") {
		t.Errorf("out-of-office to our bounce address: outcome %q", got)
	}
	if got := d.mail(staffAddress); len(got) != 0 {
		t.Errorf("an out-of-office went to staff: %q", got[0].Subject)
	}
}

// TestPauseThreshold: a handful of refusals pause a small list's mail; a
// big list's needs them to be one in a hundred of the copies sent.
func TestPauseThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ sent, want int }{{0, 5}, {8, 5}, {499, 5}, {1000, 10}, {20000, 200}} {
		if got := pauseThreshold(tc.sent); got != tc.want {
			t.Errorf("pauseThreshold(%d) = %d, want %d", tc.sent, got, tc.want)
		}
	}
}
