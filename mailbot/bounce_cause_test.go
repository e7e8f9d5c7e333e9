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

func TestBounceByCause(t *testing.T) {
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
	n := 0
	// report delivers a delivery report from from, to rcpt's bounce
	// address, and returns what the bot made of it.
	report := func(from, rcpt, status, diag string) string {
		t.Helper()
		n++
		id := fmt.Sprintf("dsn%d@mx.example.org", n)
		fromLine := ""
		if from != "" {
			fromLine = "From: " + from + "\r\n"
		}
		d.deliver(fromLine + "To: " + verp[rcpt] + "\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
			"Message-ID: <" + id + ">\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n" +
			"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: " + status + "\r\nDiagnostic-Code: smtp; " + diag + "\r\n--b--\r\n")
		outcome, err := d.st.InboundOutcome(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return outcome
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
	in := NewInbox(d.bot.cfg, d.st, d.bot, d.bot.log)
	in.connected.Store(true)
	srv := httptest.NewServer((&web{svc: &Service{Bot: d.bot, Store: d.st, Inbox: in}, log: d.bot.log}).handler())
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
		`mailbot_bounces{fault="sender"} 5` + "\n", "mailbot_suppressed_addresses 1\n"} {
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
	p, err := d.st.ResumeBulk(context.Background())
	if err != nil || !p.Paused {
		t.Fatalf("ResumeBulk = %+v, %v; want it had been paused", p, err)
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
