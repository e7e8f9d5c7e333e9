package mailbot

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestBounceNeedsOurToken: a delivery report counts against an address
// only when it comes back to the envelope sender (VERP) of a message we
// sent there, and then against that address alone, whatever the report
// names or quotes.
func TestBounceNeedsOurToken(t *testing.T) {
	const bob = "bob@example.org"
	d := newDesk(t, nil)
	for _, p := range []string{mary, ann, bob} {
		d.joined(p)
	}
	copies := d.newsletter("News", "Hello")
	verp := map[string]string{}
	for _, m := range d.rec.Accepted() {
		verp[m.To[0]] = m.From
	}
	n := 0
	// report delivers a hard bounce sent to to, naming rcpt, returning
	// the header of the message with msgID; it returns what the bot made
	// of it.
	report := func(to, rcpt, msgID string) string {
		t.Helper()
		n++
		id := fmt.Sprintf("dsn%d@mx.example.org", n)
		d.deliver("From: MAILER-DAEMON@mx.example.org\r\nTo: " + to + "\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
			"Message-ID: <" + id + ">\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n" +
			"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n" +
			"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <" + msgID + ">\r\nTo: " + rcpt + "\r\nSubject: News\r\n--b--\r\n")
		outcome, err := d.st.InboundOutcome(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return outcome
	}
	suppressed := func() string {
		var s []string
		for _, p := range []string{mary, ann, bob} {
			if d.subscription(p).Suppressed {
				s = append(s, p)
			}
		}
		return strings.Join(s, " ")
	}
	maryMsg := copies[mary][0].MessageID

	// A stranger's report to our plain address, quoting the real
	// Message-ID of mail to mary and naming her.
	if got := report(botAddress, mary, maryMsg); !strings.Contains(got, "counted against nobody") {
		t.Errorf("forged report: outcome %q, want it counted against nobody", got)
	}
	// The same to a bounce address of ours whose token was made up.
	local, domain, _ := strings.Cut(verp[mary], "@")
	if got := report(tamper(local)+"@"+domain, mary, maryMsg); !strings.Contains(got, "counted against nobody") {
		t.Errorf("report with a bad token: outcome %q, want it counted against nobody", got)
	}
	if got := suppressed(); got != "" {
		t.Fatalf("after reports without our token, suppressed: %s; want nobody", got)
	}

	// The same report, come back to mary's bounce address.
	if got := report(verp[mary], mary, maryMsg); !strings.HasPrefix(got, "bounce: permanent failure 5.1.1 for "+mary+";") {
		t.Errorf("report to mary's bounce address: outcome %q", got)
	}
	if got := suppressed(); got != mary {
		t.Fatalf("after a report to mary's bounce address, suppressed: %q; want mary", got)
	}

	// One to ann's bounce address that names bob and quotes his copy
	// counts against ann, whose message it was: her address may forward
	// to one that fails. bob's own bounce address is not in it, so a hard
	// failure is nothing of his.
	if got := report(verp[ann], bob, copies[bob][0].MessageID); !strings.HasPrefix(got, "bounce: permanent failure 5.1.1 for "+ann+";") {
		t.Errorf("report to ann's bounce address naming bob: outcome %q", got)
	}
	if got := suppressed(); got != mary+" "+ann {
		t.Errorf("after a report to ann's bounce address naming bob, suppressed: %q; want mary and ann", got)
	}
}
