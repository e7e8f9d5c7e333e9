package understand

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// bounceGolden is what a golden file in testdata/bounces holds: ReadBounce's
// whole answer.
type bounceGolden struct {
	OK     bool
	Report Report
}

func TestReadBounceCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/bounces/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, ok := ReadBounce(raw)
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false) // diagnostics are full of <addresses>
			enc.SetIndent("", "\t")
			if err := enc.Encode(bounceGolden{ok, r}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata/bounces", name+".golden"), "ReadBounce("+name+")", b.String())
			checkReport(t, r, ok)
		})
	}
}

// checkReport fails t if r breaks a promise ReadBounce makes whatever its
// input.
func checkReport(t *testing.T, r Report, ok bool) {
	t.Helper()
	if ok != (len(r.Bounces) > 0) {
		t.Fatalf("ok = %v with %d bounces", ok, len(r.Bounces))
	}
	if len(r.Bounces) > maxBounces {
		t.Fatalf("%d bounces, more than %d", len(r.Bounces), maxBounces)
	}
	seen := map[string]bool{}
	for _, b := range r.Bounces {
		if b.Recipient == "" || b.Recipient != strings.ToLower(b.Recipient) || !strings.Contains(b.Recipient, "@") || !utf8.ValidString(b.Recipient) {
			t.Fatalf("recipient %q: want a lower-case address", b.Recipient)
		}
		if seen[b.Recipient] {
			t.Fatalf("recipient %q twice", b.Recipient)
		}
		seen[b.Recipient] = true
		if b.Status != "" && statusCode(b.Status) == "" {
			t.Fatalf("status %q is not an enhanced status code", b.Status)
		}
		if b.Status != "" && b.Permanent != (b.Status[0] != '4') {
			t.Fatalf("status %q with Permanent=%v", b.Status, b.Permanent)
		}
		if b.Reason == "" || b.Hard != (b.Permanent && b.Reason.Fault() == FaultRecipient) {
			t.Fatalf("reason %q, permanent %v, with Hard=%v", b.Reason, b.Permanent, b.Hard)
		}
		if len(b.Diagnostic) > maxDiagnostic || strings.ContainsAny(b.Diagnostic, "\r\n") || !utf8.ValidString(b.Diagnostic) {
			t.Fatalf("diagnostic %q: want one line of valid UTF-8, at most %d bytes", b.Diagnostic, maxDiagnostic)
		}
	}
	if strings.ContainsAny(r.MessageID, "\r\n <>") || !utf8.ValidString(r.MessageID) || len(r.MessageID) > maxMessageID {
		t.Fatalf("message-id %q", r.MessageID)
	}
}

// seen is what TestReadBounceFields and TestReadBounceText check of a
// failure: what the report says, before any reading of why.
type seen struct {
	Recipient, Status string
	Permanent         bool
	Diagnostic        string
}

func seenOf(bs []Bounce) []seen {
	var out []seen
	for _, b := range bs {
		out = append(out, seen{b.Recipient, b.Status, b.Permanent, b.Diagnostic})
	}
	return out
}

// dsn builds a delivery report with the given delivery-status fields.
func dsn(from, status string) []byte {
	return []byte("From: " + from + "\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nIt failed.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\n" + status + "\r\n--b--\r\n")
}

func TestReadBounceFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, status string
		want         []seen
	}{
		{"final recipient preferred",
			"Reporting-MTA: dns; a\r\n\r\nOriginal-Recipient: rfc822; old@example.org\r\nFinal-Recipient: rfc822; new@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			[]seen{{"new@example.org", "5.1.1", true, ""}}},
		{"final recipient preferred, in Postfix's order",
			"Final-Recipient: rfc822; member@example.org\r\nOriginal-Recipient: rfc822; team@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			[]seen{{"member@example.org", "5.1.1", true, ""}}},
		{"groups run together",
			"Original-Recipient: rfc822; a@example.org\r\nFinal-Recipient: rfc822; a@example.org\r\nAction: failed\r\n" +
				"Final-Recipient: rfc822; b@example.org\r\nOriginal-Recipient: rfc822; b@example.org\r\nAction: delayed\r\n" +
				"Final-Recipient: rfc822; c@example.org\r\nAction: failed\r\nStatus: 4.4.7\r\n",
			[]seen{{"a@example.org", "", true, ""}, {"c@example.org", "4.4.7", false, ""}}},
		{"original recipient when final is no address",
			"Original-Recipient: rfc822; old@example.org\r\nFinal-Recipient: x400; /c=gb/\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			[]seen{{"old@example.org", "5.1.1", true, ""}}},
		{"no status: hard from the SMTP code",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nDiagnostic-Code: smtp; 452 too many recipients\r\n",
			[]seen{{"a@example.org", "", false, "452 too many recipients"}}},
		{"no status, no code: failed is hard",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\n",
			[]seen{{"a@example.org", "", true, ""}}},
		{"mailbox full is permanent as written",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.2.2\r\n",
			[]seen{{"a@example.org", "5.2.2", true, ""}}},
		{"status that is not a code",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: unknown\r\nDiagnostic-Code: smtp; 550 no\r\n",
			[]seen{{"a@example.org", "", true, "550 no"}}},
		{"a message given up on (SendGrid's Action: expired)",
			"Final-Recipient: rfc822; a@example.org\r\nAction: expired\r\nStatus: \r\nDiagnostic-Code: Connection timed out\r\n",
			[]seen{{"a@example.org", "", true, "Connection timed out"}}},
		{"no action but a permanent status",
			"Final-Recipient: rfc822; a@example.org\r\nStatus: 5.0.0\r\n",
			[]seen{{"a@example.org", "5.0.0", true, ""}}},
		{"others left out",
			"Final-Recipient: rfc822; a@example.org\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n" +
				"Final-Recipient: rfc822; b@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n" +
				"Final-Recipient: rfc822; c@example.org\r\nAction: relayed\r\nStatus: 2.0.0\r\n\r\n" +
				"Final-Recipient: rfc822; d@example.org\r\nAction: expanded\r\nStatus: 2.0.0\r\n",
			nil},
		{"same recipient twice",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822; A@Example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 unknown\r\n",
			[]seen{{"a@example.org", "5.1.1", true, "550 5.1.1 unknown"}}},
		{"not addresses",
			"Final-Recipient: rfc822; nobody\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822; a b@example.org\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822; @example.org\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822; a@\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822; a@exa mple.org\r\nAction: failed\r\n",
			nil},
		{"address literal",
			"Final-Recipient: rfc822; a@[192.0.2.1]\r\nAction: failed\r\n",
			[]seen{{"a@[192.0.2.1]", "", true, ""}}},
		{"diagnostic made one safe line",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.7.1\r\nDiagnostic-Code: smtp; 550 5.7.1 =?utf-8?q?x?= \x00 forged\u2028line \u202eevil\xff\r\n",
			[]seen{{"a@example.org", "5.7.1", true, "550 5.7.1 =?utf-8?q?x?= forged line evil\uFFFD"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := ReadBounce(dsn("MAILER-DAEMON@example.org", tc.status))
			checkReport(t, r, ok)
			got, _ := json.Marshal(seenOf(r.Bounces))
			want, _ := json.Marshal(tc.want)
			if string(got) != string(want) {
				t.Errorf("ReadBounce bounces = %s, want %s", got, want)
			}
		})
	}
}

// TestReadBounceText covers the non-standard shapes the corpus does not.
func TestReadBounceText(t *testing.T) {
	t.Parallel()
	const head = "From: MAILER-DAEMON@mx.example.org\r\nSubject: Undeliverable: hello\r\n"
	for _, tc := range []struct {
		name, msg string
		want      []seen
	}{
		{"Postfix alias",
			head + "\r\n<list@example.org> (expanded from <team@example.org>): host mx[192.0.2.1] said: 550 5.1.1 no such user\r\n",
			[]seen{{"list@example.org", "5.1.1", true, "550 5.1.1 no such user"}}},
		{"Office 365 sentence",
			head + "\r\nYour message to Kim@Example.org couldn't be delivered.\r\n\r\nRemote Server returned '550 5.4.1 Recipient address rejected: Access denied'\r\n",
			[]seen{{"kim@example.org", "5.4.1", true, "550 5.4.1 Recipient address rejected: Access denied"}}},
		{"Gmail sentence",
			head + "\r\nThere was a problem delivering your message to <kim@example.org>. See the technical details below.\r\n\r\nThe response was:\r\n\r\n421 4.7.0 Try again later, closing connection.\r\n",
			[]seen{{"kim@example.org", "4.7.0", false, "421 4.7.0 Try again later, closing connection."}}},
		{"HTML only",
			"From: postmaster@example.org\r\nSubject: Undeliverable: hello\r\nContent-Type: text/html\r\n\r\n" +
				"<p><b>Delivery has failed to these recipients or groups:</b></p><p><a href=\"mailto:kim@example.org\">Kim (kim@example.org)</a><br>The email address couldn't be found.</p>",
			[]seen{{"kim@example.org", "", true, "The email address couldn't be found."}}},
		{"Sendmail transient recipients are still being tried",
			head + "\r\n   ----- The following addresses had permanent fatal errors -----\r\n<a@example.org>\r\n    (reason: 550 5.1.1 User unknown)\r\n\r\n" +
				"   ----- The following addresses had transient non-fatal errors -----\r\n<b@example.org>\r\n    (reason: 451 4.4.1 timeout)\r\n\r\n" +
				"   ----- Transcript of session follows -----\r\n<<< 451 4.4.1 <b@example.org>... timeout\r\n",
			[]seen{{"a@example.org", "5.1.1", true, "550 5.1.1 User unknown"}}},
		{"subject alone with a machine's mark",
			"From: Mail Router <router@example.org>\r\nAuto-Submitted: auto-generated\r\nSubject: Mail delivery failed\r\n\r\n<kim@example.org>: 550 no\r\n",
			[]seen{{"kim@example.org", "", true, "550 no"}}},
		{"the fields' bare status filled from the text (OpenSMTPD)",
			"From: Mailer Daemon <MAILER-DAEMON@df.example.jp>\r\nSubject: Delivery status notification: failed\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n\r\n    An error has occurred while attempting to deliver a message for\r\n    the following list of recipients:\r\n\r\n" +
				"kim@example.org: 552 5.2.2 <kim@example.org>: Recipient address rejected: Mailbox full\r\n\r\n" +
				"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; df.example.jp\r\n\r\n" +
				"Final-Recipient: rfc822; kim@example.org\r\nAction: failed\r\nStatus: 5.0.0\r\n\r\n" +
				"Final-Recipient: rfc822; sam@example.org\r\nAction: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: smtp; 550 no\r\n--b--\r\n",
			[]seen{{"kim@example.org", "5.2.2", true, "552 5.2.2 <kim@example.org>: Recipient address rejected: Mailbox full"}, {"sam@example.org", "5.0.0", true, "550 no"}}},
		// Shapes read since the sisimai corpus was measured, one each, so
		// that losing one fails here and not only as a lower score.
		{"DSN fields in the text (Amazon WorkMail)",
			"From: MAILER-DAEMON@us-west-2.amazonses.com\r\nSubject: Delivery Status Notification (Failure)\r\n\r\n" +
				"An error occurred while trying to deliver the mail to the following recipients:\r\nkim@example.org\r\n\r\nTechnical report:\r\n\r\n" +
				"Reporting-MTA: dsn; a27-85.smtp-out.amazonses.com\r\n\r\nAction: failed\r\nFinal-Recipient: rfc822; kim@example.org\r\n" +
				"Diagnostic-Code: smtp; 550 5.1.1 <kim@example.org>... User Unknown\r\nStatus: 5.1.1\r\n",
			[]seen{{"kim@example.org", "5.1.1", true, "550 5.1.1 <kim@example.org>... User Unknown"}}},
		{"Exchange 2003",
			"From: System Administrator <postmaster@example.org>\r\nSubject: Undeliverable: hello\r\n\r\nYour message\r\n\r\n  To: kim@example.org\r\n\r\n" +
				"did not reach the following recipient(s):\r\n\r\nkim@example.org on Thu, 29 Apr 2010 00:00:00 -0000\r\n    The recipient name is not recognized\r\n",
			[]seen{{"kim@example.org", "", true, "on Thu, 29 Apr 2010 00:00:00 -0000 The recipient name is not recognized"}}},
		{"a bullet and the reply on the address's line (MXLogic, X3)",
			"From: Mail Delivery System <MAILER-DAEMON@relay.example.net>\r\nSubject: Mail delivery failed\r\n\r\n" +
				"recipients.  This is a permanent error.  The following address failed:\r\n\r\n  <kim@example.org>: 550 5.1.1 <kim@example.org>: Recipient address rejected: User unknown\r\n",
			[]seen{{"kim@example.org", "5.1.1", true, "550 5.1.1 <kim@example.org>: Recipient address rejected: User unknown"}}},
		{"a permanent refusal in a session transcript (old Sendmail)",
			"From: Mail Delivery Subsystem <MAILER-DAEMON@example.com>\r\nSubject: Returned mail: User unknown\r\n\r\n   ----- Transcript of session follows -----\r\n" +
				">>> RCPT To:<kim@example.org>\r\n<<< 550 <kim@example.org>... User unknown\r\n<<< 451 <sam@example.org>... try later\r\n",
			[]seen{{"kim@example.org", "", true, "550 <kim@example.org>... User unknown"}}},
		{"a report whose MIME boundary never comes, read as one text",
			"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\r\nSubject: Returned mail: Service unavailable\r\n" +
				"Content-Type: multipart/report; report-type=delivery-status; boundary=\"lost/mx.example.net\"\r\n\r\n" +
				"   ----- The following addresses had permanent fatal errors -----\r\n<kim@example.org>\r\n\r\n" +
				"Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: RFC822; kim@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			[]seen{{"kim@example.org", "5.1.1", true, ""}}},
		{"au one net: a no-reply sender, any subject, the reason on the next line",
			"From: no-reply@ab1234.dion.ne.jp\r\nSubject: Mail\r\n\r\nYour mail sent on: Thu, 29 Apr 2013 00:00:00 +0900\r\n" +
				"     Could not be delivered to: <kim@ab1234.dion.ne.jp>\r\n     As their mailbox is full.\r\n",
			[]seen{{"kim@ab1234.dion.ne.jp", "", true, "As their mailbox is full."}}},
		{"OpenSMTPD's subject, and its wording",
			"From: Mailer Daemon <daemon@mx.example.net>\r\nReturn-Path: <>\r\nSubject: Delivery status notification: error\r\n\r\n" +
				"    An error has occurred while attempting to deliver a message for\r\n    the following list of recipients:\r\n\r\nkim@example.org: Envelope expired\r\n",
			[]seen{{"kim@example.org", "", true, "Envelope expired"}}},
		{"the failed recipient from the copy quoted inline (old Sendmail)",
			"From: Mail Delivery Subsystem <MAILER-DAEMON@example.com>\r\nSubject: Returned mail: Cannot send message for 4 days\r\n\r\n" +
				"   ----- Transcript of session follows -----\r\n421 example.org (smtp)... Deferred: Connection timed out during user open with example.org\r\n\r\n" +
				"   ----- Unsent message follows -----\r\nFrom: council@example.com\r\nTo: kim@example.org\r\nSubject: hello\r\n\r\nhello\r\n",
			[]seen{{"kim@example.org", "", false, "421 example.org (smtp)... Deferred: Connection timed out during user open with example.org"}}},
		{"the reason in the paragraph after the sentence (DragonFly)",
			"From: MAILER-DAEMON <>\r\nSubject: Mail delivery failed\r\n\r\nThis is the DragonFly Mail Agent v0.13 at df.example.jp.\r\n\r\n" +
				"There was an error delivering your mail to <kim@example.org>.\r\n\r\nCould not deliver for the last 432000 seconds. Giving up.\r\n\r\nMessage headers follow.\r\n\r\nTo: kim@example.org\r\n",
			[]seen{{"kim@example.org", "", true, "Could not deliver for the last 432000 seconds. Giving up."}}},
		{"a part whose Content-Type parameters do not parse is still text",
			"From: \"Mail Deliver System\" <MAILER-DAEMON>\r\nSubject: Returned Mail: User unknown\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n   charset=\"iso-2022-jp\"\r\n\r\n---The following addresses had delivery errors---\r\nkim@example.org [User unknown]\r\n--b--\r\n",
			[]seen{{"kim@example.org", "", true, "[User unknown]"}}},
		{"Verizon's MMS gateway: the copy's header under 'Original Message:'",
			"From: MMSC NDR Administrator <sysadmin@mms.example.net>\r\nReturn-Path: <>\r\nSubject: Undeliverable Message\r\n\r\n" +
				"Message could not be delivered to mobile.\r\nError: No valid recipients for this MM\r\n\r\nOriginal Message:\r\nFrom: council@example.com\r\nTo: 5550100@mms.example.net\r\nSubject: hello\r\n",
			[]seen{{"5550100@mms.example.net", "", true, ""}}},
		{"the reason, a colon, the address (IMail)",
			"From: \"Postmaster\" <postmaster@example.org>\r\nSubject: Undeliverable Mail\r\n\r\nUnknown user: kim@example.org\r\n\r\nTo: sam@example.org\r\n",
			[]seen{{"kim@example.org", "", true, "Unknown user"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := ReadBounce([]byte(tc.msg))
			checkReport(t, r, ok)
			got, _ := json.Marshal(seenOf(r.Bounces))
			want, _ := json.Marshal(tc.want)
			if string(got) != string(want) {
				t.Errorf("ReadBounce bounces = %s, want %s", got, want)
			}
		})
	}
}

// TestReadBounceNotABounce is what must never be read as a bounce: a
// person's message that talks like one.
func TestReadBounceNotABounce(t *testing.T) {
	t.Parallel()
	postfixText := "<bob@example.net>: host mx.example.net[203.0.113.9] said: 550 5.1.1 User unknown\r\n"
	for _, tc := range []struct{ name, msg string }{
		{"person quoting a bounce",
			"From: Ann <ann@example.org>\r\nSubject: my dad's address\r\n\r\n" + postfixText},
		{"person choosing a bounce's subject",
			"From: Ann <ann@example.org>\r\nSubject: Undeliverable: my booking?\r\n\r\n" + postfixText},
		{"reply to a bounce",
			"From: Ann <ann@example.org>\r\nSubject: Re: Undelivered Mail Returned to Sender\r\n\r\n" + postfixText},
		{"mailer-daemon without a failure",
			"From: MAILER-DAEMON@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\nSomething happened.\r\n"},
		{"mailer-daemon delay warning",
			"From: MAILER-DAEMON@example.org\r\nSubject: Warning: message delayed\r\n\r\nThis is a warning only.\r\n\r\n" + postfixText},
		{"mailer-daemon success notice",
			"From: MAILER-DAEMON@example.org\r\nSubject: Successful Mail Delivery Report\r\n\r\n<bob@example.net>: delivery via mx.example.net[203.0.113.9]:25: 250 2.0.0 Ok: queued as 4R9x2\r\n"},
		{"no header at all", "\r\n\r\n" + postfixText},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r, ok := ReadBounce([]byte(tc.msg)); ok {
				t.Errorf("ReadBounce = %+v, true; want not a bounce", r)
			}
		})
	}
}

func TestReadBounceLimits(t *testing.T) {
	t.Parallel()
	var status strings.Builder
	for i := range 3 * maxBounces {
		fmt.Fprintf(&status, "Final-Recipient: rfc822; user%d@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"+
			"Diagnostic-Code: smtp; 550 5.1.1 %s\r\n\r\n", i, strings.Repeat("é", 500))
	}
	r, ok := ReadBounce(dsn("MAILER-DAEMON@example.org", status.String()))
	checkReport(t, r, ok)
	if len(r.Bounces) != maxBounces {
		t.Errorf("%d recipients read, want the first %d", len(r.Bounces), maxBounces)
	}
	if d := r.Bounces[0].Diagnostic; len(d) < maxDiagnostic-1 {
		t.Errorf("diagnostic cut to %d bytes, want %d or one less", len(d), maxDiagnostic)
	}

	// A delivery-status part past the part limit is not read.
	var msg strings.Builder
	msg.WriteString("From: MAILER-DAEMON@example.org\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n")
	for range maxBounceParts + 1 {
		msg.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nfiller\r\n")
	}
	msg.WriteString("--b\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; a@example.org\r\nAction: failed\r\n\r\n--b--\r\n")
	if r, ok := ReadBounce([]byte(msg.String())); ok {
		t.Errorf("ReadBounce read a report past %d parts: %+v", maxBounceParts, r)
	}
}

func FuzzBounce(f *testing.F) {
	files, _ := filepath.Glob("testdata/bounces/*.eml")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add(dsn("MAILER-DAEMON@example.org", "Final-Recipient: utf-8; \\x{FC}@\\x{110000}.example\r\nAction: failed\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, ok := ReadBounce(raw)
		checkReport(t, r, ok)
	})
}

func BenchmarkReadBounce(b *testing.B) {
	raw, err := os.ReadFile("testdata/bounces/postfix-user-unknown.eml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, ok := ReadBounce(raw); !ok {
			b.Fatal("not read as a bounce")
		}
	}
}

// TestBounceReason: why a failure happened decides whether the recipient
// is cut off, so each rule that decides it has a case here; the corpus
// (TestPeerBounces) scores the whole.
func TestBounceReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status, diag string
		want         Reason
		fault        Fault
	}{
		{"5.1.1", "550 5.1.1 The email account that you tried to reach does not exist", ReasonUserUnknown, FaultRecipient},
		{"5.2.2", "552 5.2.2 The recipient's inbox is out of storage space", ReasonMailboxFull, FaultTransient},
		{"5.7.26", "550 5.7.26 This mail has been blocked because the sender is unauthenticated", ReasonAuthFailure, FaultSender},
		{"5.7.606", "550 5.7.606 Access denied, banned sending IP [192.0.2.1]", ReasonBlocked, FaultSender},
		{"5.7.25", "550 5.7.25 The IP address sending this message does not have a PTR record", ReasonRequirePTR, FaultSender},
		{"5.7.1", "554 5.7.1 <kim@example.org>: Client host rejected: blocked using zen.spamhaus.org", ReasonBlocked, FaultSender},
		{"5.7.1", "550 5.7.1 Message content rejected, UBE", ReasonSpamDetected, FaultSender},
		{"4.7.0", "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to user complaints", ReasonBadReputation, FaultSender},
		{"5.4.1", "550 5.4.1 Recipient address rejected: Access denied", ReasonUserUnknown, FaultRecipient},
		{"5.1.6", "550 5.1.6 recipient no longer on server", ReasonHasMoved, FaultRecipient},
		{"5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound", ReasonNotAccept, FaultRecipient},
		{"5.2.0", "550 Unknown user kim@example.org", ReasonFiltered, FaultTransient},           // the mailbox exists: a filter
		{"5.2.1", "550 5.2.1 <kim@example.org>... User Unknown", ReasonSuspend, FaultTransient}, // mailbox disabled
		{"5.1.0", "553 5.1.0 example.com does not exist", ReasonOnHold, FaultTransient},         // whose address?
		{"5.0.0", "501 5.0.0 Invalid domain name", ReasonSyntaxError, FaultSender},              // a command of ours was bad
		{"", "504 Command parameter not implemented", ReasonSyntaxError, FaultSender},
		{"5.2.0", "550 5.2.0 Mail rejete. Mail rejected. OFR_506 [506]", ReasonSpamDetected, FaultSender}, // Orange's spam refusal
		{"5.1.8", "501 5.1.8 Sender address rejected", ReasonRejected, FaultSender},
		{"4.4.7", "", ReasonExpired, FaultTransient},
		{"", "Envelope expired", ReasonExpired, FaultTransient},                                       // OpenSMTPD
		{"", "DNS lookup failure: host example.invalid not found", ReasonHostUnknown, FaultRecipient}, // DragonFly
		{"", "kim@example.org <sam@example.net>: malformed address: <sam@example.net> may not follow kim@example.org", ReasonSyntaxError, FaultSender},
		{"5.0.0", "554 something no rule reads", ReasonOnHold, FaultTransient},
		{"", "The account or domain may not exist, they may be blacklisted, or missing the proper dns entries.", ReasonOnHold, FaultTransient}, // cPanel guessing
		{"", "", ReasonUndefined, FaultTransient},
	} {
		r := reasonOf(tc.status, tc.diag)
		if r != tc.want || r.Fault() != tc.fault {
			t.Errorf("reasonOf(%q, %q) = %s (fault %d), want %s (fault %d)", tc.status, tc.diag, r, r.Fault(), tc.want, tc.fault)
		}
	}
}

func FuzzReason(f *testing.F) {
	f.Add("5.7.1", "550 5.7.1 <kim@example.org>: Client host rejected")
	f.Add("5.2.0", "550 Unknown user")
	f.Add("", "")
	f.Add("5.", "501")
	f.Fuzz(func(t *testing.T, status, diag string) {
		r := reasonOf(status, diag)
		if r == "" {
			t.Fatalf("reasonOf(%q, %q) = \"\"", status, diag)
		}
	})
}

// TestReadComplaint: an abuse feedback report (RFC 5965) read by its
// fields, and what is not one.
func TestReadComplaint(t *testing.T) {
	t.Parallel()
	arf := func(fields, returned string) []byte {
		return []byte("From: fbl@isp.example\r\nSubject: complaint\r\n" +
			"Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nA user complained.\r\n" +
			"--b\r\nContent-Type: message/feedback-report\r\n\r\n" + fields + "\r\n" +
			"--b\r\nContent-Type: message/rfc822\r\n\r\n" + returned + "\r\n--b--\r\n")
	}
	const returned = "Return-Path: <betterdays+bounce-abc@council.example>\r\nMessage-ID: <n1@council.example>\r\nTo: Mary <Mary@Example.org>\r\nSubject: News\r\n\r\nHello\r\n"
	for _, tc := range []struct {
		name     string
		raw      []byte
		ok, by   bool
		typ      string
		rcpts    []string
		returned bool
	}{
		{"abuse, recipient in the report", arf("Feedback-Type: abuse\r\nUser-Agent: SomeFBL/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: kim@example.org\r\n", returned),
			true, true, "abuse", []string{"kim@example.org"}, true},
		{"abuse, recipient from the returned To", arf("Feedback-Type: abuse\r\nVersion: 1\r\n", returned),
			true, true, "abuse", []string{"mary@example.org"}, true},
		{"not spam", arf("Feedback-Type: not-spam\r\nVersion: 1\r\n", returned), true, false, "not-spam", []string{"mary@example.org"}, true},
		{"a DMARC failure report is not a person's complaint", arf("Feedback-Type: auth-failure\r\nVersion: 1\r\n", returned), true, false, "auth-failure", []string{"mary@example.org"}, true},
		{"a delivery report", dsn("MAILER-DAEMON@example.org", "Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\n"), false, false, "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := ReadComplaint(tc.raw)
			if ok != tc.ok || c.ByPerson() != tc.by && ok || c.FeedbackType != tc.typ || fmt.Sprint(c.Recipients) != fmt.Sprint(tc.rcpts) || (len(c.Returned) > 0) != tc.returned {
				t.Errorf("ReadComplaint = %+v, %v; want ok %v, by a person %v, type %q, recipients %v", c, ok, tc.ok, tc.by, tc.typ, tc.rcpts)
			}
			if ok && c.MessageID != "n1@council.example" {
				t.Errorf("message-id %q", c.MessageID)
			}
		})
	}
}

func FuzzComplaint(f *testing.F) {
	f.Add([]byte("Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nOriginal-Rcpt-To: a@b.c\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nTo: x@y.z\r\n\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, ok := ReadComplaint(raw)
		if !ok && (c.FeedbackType != "" || len(c.Recipients) > 0) {
			t.Fatalf("not a report, yet %+v", c)
		}
		for _, r := range c.Recipients {
			if r == "" || r != strings.ToLower(r) || !strings.Contains(r, "@") {
				t.Fatalf("recipient %q", r)
			}
		}
		if len(c.Recipients) > maxBounces || len(c.UserAgent) > maxDiagnostic {
			t.Fatalf("unbounded: %d recipients, user agent %d bytes", len(c.Recipients), len(c.UserAgent))
		}
	})
}
