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
		if b.Status != "" && b.Hard != (b.Status[0] != '4') {
			t.Fatalf("status %q with Hard=%v", b.Status, b.Hard)
		}
		if len(b.Diagnostic) > maxDiagnostic || strings.ContainsAny(b.Diagnostic, "\r\n") || !utf8.ValidString(b.Diagnostic) {
			t.Fatalf("diagnostic %q: want one line of valid UTF-8, at most %d bytes", b.Diagnostic, maxDiagnostic)
		}
	}
	if strings.ContainsAny(r.MessageID, "\r\n <>") || !utf8.ValidString(r.MessageID) || len(r.MessageID) > maxMessageID {
		t.Fatalf("message-id %q", r.MessageID)
	}
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
		want         []Bounce
	}{
		{"final recipient preferred",
			"Reporting-MTA: dns; a\r\n\r\nOriginal-Recipient: rfc822; old@example.org\r\nFinal-Recipient: rfc822; new@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			[]Bounce{{"new@example.org", "5.1.1", true, ""}}},
		{"final recipient preferred, in Postfix's order",
			"Final-Recipient: rfc822; member@example.org\r\nOriginal-Recipient: rfc822; team@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			[]Bounce{{"member@example.org", "5.1.1", true, ""}}},
		{"groups run together",
			"Original-Recipient: rfc822; a@example.org\r\nFinal-Recipient: rfc822; a@example.org\r\nAction: failed\r\n" +
				"Final-Recipient: rfc822; b@example.org\r\nOriginal-Recipient: rfc822; b@example.org\r\nAction: delayed\r\n" +
				"Final-Recipient: rfc822; c@example.org\r\nAction: failed\r\nStatus: 4.4.7\r\n",
			[]Bounce{{"a@example.org", "", true, ""}, {"c@example.org", "4.4.7", false, ""}}},
		{"original recipient when final is no address",
			"Original-Recipient: rfc822; old@example.org\r\nFinal-Recipient: x400; /c=gb/\r\nAction: failed\r\nStatus: 5.1.1\r\n",
			[]Bounce{{"old@example.org", "5.1.1", true, ""}}},
		{"no status: hard from the SMTP code",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nDiagnostic-Code: smtp; 452 too many recipients\r\n",
			[]Bounce{{"a@example.org", "", false, "452 too many recipients"}}},
		{"no status, no code: failed is hard",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\n",
			[]Bounce{{"a@example.org", "", true, ""}}},
		{"mailbox full is permanent as written",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.2.2\r\n",
			[]Bounce{{"a@example.org", "5.2.2", true, ""}}},
		{"status that is not a code",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: unknown\r\nDiagnostic-Code: smtp; 550 no\r\n",
			[]Bounce{{"a@example.org", "", true, "550 no"}}},
		{"no action but a permanent status",
			"Final-Recipient: rfc822; a@example.org\r\nStatus: 5.0.0\r\n",
			[]Bounce{{"a@example.org", "5.0.0", true, ""}}},
		{"others left out",
			"Final-Recipient: rfc822; a@example.org\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n" +
				"Final-Recipient: rfc822; b@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n" +
				"Final-Recipient: rfc822; c@example.org\r\nAction: relayed\r\nStatus: 2.0.0\r\n\r\n" +
				"Final-Recipient: rfc822; d@example.org\r\nAction: expanded\r\nStatus: 2.0.0\r\n",
			nil},
		{"same recipient twice",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822; A@Example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 unknown\r\n",
			[]Bounce{{"a@example.org", "5.1.1", true, "550 5.1.1 unknown"}}},
		{"not addresses",
			"Final-Recipient: rfc822; nobody\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822; a b@example.org\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822; @example.org\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822; a@\r\nAction: failed\r\n\r\nFinal-Recipient: rfc822; a@exa mple.org\r\nAction: failed\r\n",
			nil},
		{"address literal",
			"Final-Recipient: rfc822; a@[192.0.2.1]\r\nAction: failed\r\n",
			[]Bounce{{"a@[192.0.2.1]", "", true, ""}}},
		{"diagnostic made one safe line",
			"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.7.1\r\nDiagnostic-Code: smtp; 550 5.7.1 =?utf-8?q?x?= \x00 forged\u2028line \u202eevil\xff\r\n",
			[]Bounce{{"a@example.org", "5.7.1", true, "550 5.7.1 =?utf-8?q?x?= forged line evil\uFFFD"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := ReadBounce(dsn("MAILER-DAEMON@example.org", tc.status))
			checkReport(t, r, ok)
			got, _ := json.Marshal(r.Bounces)
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
		want      []Bounce
	}{
		{"Postfix alias",
			head + "\r\n<list@example.org> (expanded from <team@example.org>): host mx[192.0.2.1] said: 550 5.1.1 no such user\r\n",
			[]Bounce{{"list@example.org", "5.1.1", true, "550 5.1.1 no such user"}}},
		{"Office 365 sentence",
			head + "\r\nYour message to Kim@Example.org couldn't be delivered.\r\n\r\nRemote Server returned '550 5.4.1 Recipient address rejected: Access denied'\r\n",
			[]Bounce{{"kim@example.org", "5.4.1", true, "550 5.4.1 Recipient address rejected: Access denied"}}},
		{"Gmail sentence",
			head + "\r\nThere was a problem delivering your message to <kim@example.org>. See the technical details below.\r\n\r\nThe response was:\r\n\r\n421 4.7.0 Try again later, closing connection.\r\n",
			[]Bounce{{"kim@example.org", "4.7.0", false, "421 4.7.0 Try again later, closing connection."}}},
		{"HTML only",
			"From: postmaster@example.org\r\nSubject: Undeliverable: hello\r\nContent-Type: text/html\r\n\r\n" +
				"<p><b>Delivery has failed to these recipients or groups:</b></p><p><a href=\"mailto:kim@example.org\">Kim (kim@example.org)</a><br>The email address couldn't be found.</p>",
			[]Bounce{{"kim@example.org", "", true, "The email address couldn't be found."}}},
		{"Sendmail transient recipients are still being tried",
			head + "\r\n   ----- The following addresses had permanent fatal errors -----\r\n<a@example.org>\r\n    (reason: 550 5.1.1 User unknown)\r\n\r\n" +
				"   ----- The following addresses had transient non-fatal errors -----\r\n<b@example.org>\r\n    (reason: 451 4.4.1 timeout)\r\n\r\n" +
				"   ----- Transcript of session follows -----\r\n<<< 451 4.4.1 <b@example.org>... timeout\r\n",
			[]Bounce{{"a@example.org", "5.1.1", true, "550 5.1.1 User unknown"}}},
		{"subject alone with a machine's mark",
			"From: Mail Router <router@example.org>\r\nAuto-Submitted: auto-generated\r\nSubject: Mail delivery failed\r\n\r\n<kim@example.org>: 550 no\r\n",
			[]Bounce{{"kim@example.org", "", true, "550 no"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := ReadBounce([]byte(tc.msg))
			checkReport(t, r, ok)
			got, _ := json.Marshal(r.Bounces)
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
