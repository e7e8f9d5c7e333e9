package understand

import "testing"

// TestUnknownUserByPhase: "user unknown" stops mail at once only where
// something vouches that the address is gone; said after the data, or
// where nothing says when, it is a filter and counts soft.
func TestUnknownUserByPhase(t *testing.T) {
	t.Parallel()
	const head = "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>\r\nSubject: Returned mail: see transcript for details\r\n\r\n"
	fieldsFrom := func(from, rcpt, status, diag string) string {
		return string(dsn(from, "Final-Recipient: rfc822; "+rcpt+"\r\nAction: failed\r\n"+status+"Diagnostic-Code: smtp; "+diag+"\r\n"))
	}
	fields := func(rcpt, status, diag string) string {
		return fieldsFrom("MAILER-DAEMON@relay.example.net", rcpt, status, diag)
	}
	for _, tc := range []struct {
		name, msg, rcpt string
		reason          Reason
		hard            bool
	}{
		{"refused at RCPT TO in a transcript",
			head + "   ----- Transcript of session follows -----\r\n... while talking to mx.example.org.:\r\n>>> RCPT To:<kim@example.org>\r\n<<< 550 <kim@example.org>... User unknown\r\n",
			"kim@example.org", ReasonUserUnknown, true},
		{"refused after DATA in a transcript (Courier, Sendmail)",
			head + "<kim@example.org>:\r\n    mx.example.org [192.0.2.45]:\r\n>>> DATA\r\n<<< 550 Unknown user kim@example.org\r\n",
			"kim@example.org", ReasonFiltered, false},
		{"nothing says when (a filtering gateway)",
			fields("kim@example.org", "", "550 Unknown user kim@example.org"),
			"kim@example.org", ReasonFiltered, false},
		{"the status says the address is bad",
			fields("kim@example.org", "Status: 5.1.1\r\n", "550 Unknown user kim@example.org"),
			"kim@example.org", ReasonUserUnknown, true},
		{"the bare class made specific by the server's own code",
			fields("kim@example.org", "Status: 5.0.0\r\n", "550 5.1.1 <kim@example.org>... User Unknown"),
			"kim@example.org", ReasonUserUnknown, true},
		{"Postfix: in reply to RCPT TO",
			head + "<kim@example.org>: host mx.example.org[192.0.2.1] said: 550 <kim@example.org>: User unknown (in\r\n    reply to RCPT TO command)\r\n",
			"kim@example.org", ReasonUserUnknown, true},
		{"qmail: for RCPT TO response",
			"From: MAILER-DAEMON@mx.example.net\r\nSubject: failure notice\r\n\r\n<kim@example.org>:\r\nSorry, no SMTP connection got far enough; most progress was RCPT TO response; remote host 192.0.2.32 said: 550 Unknown user kim@example.org\r\n",
			"kim@example.org", ReasonUserUnknown, true},
		{"Yahoo answers an unknown address after the data",
			head + "   ----- The following addresses had permanent fatal errors -----\r\n<kim@yahoo.com>\r\n\r\n   ----- Transcript of session follows -----\r\n... while talking to mta5.am0.yahoodns.net.:\r\n>>> DATA\r\n<<< 554 delivery error: dd This user doesn't have a yahoo.com account (kim@yahoo.com) [0] - mta1061.mail.ne1.yahoo.com\r\n",
			"kim@yahoo.com", ReasonUserUnknown, true},
		{"La Poste's code 416 after the data",
			head + "   ----- The following addresses had permanent fatal errors -----\r\n<kim@laposte.net>\r\n\r\n   ----- Transcript of session follows -----\r\n... while talking to smtp-in.laposte.net.:\r\n>>> DATA\r\n<<< 550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416\r\n",
			"kim@laposte.net", ReasonUserUnknown, true},
		{"a mail store's directory, whenever it says so (Domino)",
			fields("kim@example.org", "", "User kim (kim@example.org) not listed in Domino Directory"),
			"kim@example.org", ReasonUserUnknown, true},
		{"au names the address it does not have",
			fields("kim@ezweb.ne.jp", "Status: 5.0.0\r\n", "550 <kim@ezweb.ne.jp>: User unknown"),
			"kim@ezweb.ne.jp", ReasonUserUnknown, true},
		{"au leaves the address out for the person's own filter",
			fields("kim@ezweb.ne.jp", "Status: 5.0.0\r\n", "550 : User unknown"),
			"kim@ezweb.ne.jp", ReasonFiltered, false},
		{"the same words elsewhere say nothing of when",
			fields("kim@example.org", "Status: 5.0.0\r\n", "550 <kim@example.org>: User unknown"),
			"kim@example.org", ReasonFiltered, false},
		{"Yahoo passing au's reply on names the address",
			"From: MAILER-DAEMON@yahoo.com\r\nSubject: Failure Notice\r\n\r\nSorry, we were unable to deliver your message to the following address.\r\n\r\n<kim@ezweb.ne.jp>:\r\nRemote host said: 550: <kim@ezweb.ne.jp>: User unknown [RCPT_TO]\r\n",
			"kim@ezweb.ne.jp", ReasonUserUnknown, true},
		{"Outlook.com reporting its own mailbox unavailable",
			fieldsFrom("postmaster@hotmail.com", "kim@hotmail.com", "Status: 5.5.0\r\n", "550 Requested action not taken: mailbox unavailable (-0000000022:2222:-0000000022)"),
			"kim@hotmail.com", ReasonUserUnknown, true},
		{"the same words from another mail system say nothing of when",
			fieldsFrom("mailer-daemon@mail.zoho.com", "kim@example.org", "Status: 5.0.0\r\n", "550 Requested action not taken: mailbox unavailable"),
			"kim@example.org", ReasonFiltered, false},
		{"MessageLabs checks the address against its customer's directory",
			fieldsFrom("Mail Delivery System <MAILER-DAEMON@messagelabs.com>", "kim@example.org", "Status: 5.0.0\r\n", "550 kim@example.org... No such user"),
			"kim@example.org", ReasonUserUnknown, true},
		{"our envelope sender's domain said not to exist",
			"From: Mail Delivery System <mailer-daemon@lists.council.example>\r\nTo: bounce+a1@lists.council.example\r\nX-Failed-Recipients: kim@example.org\r\nSubject: Mail delivery failed: returning message to sender\r\n\r\n" +
				"A message that you sent could not be delivered to one or more of its\r\nrecipients. This is a permanent error. The following address(es) failed:\r\n\r\n" +
				"  kim@example.org\r\n    SMTP error from remote mail server after RCPT TO:<kim@example.org>:\r\n    553 5.1.0 lists.council.example does not exist\r\n",
			"kim@example.org", ReasonRejected, false},
		{"an address at our own domain is the recipient's",
			"From: Mail Delivery System <mailer-daemon@council.example>\r\nTo: bounce+a1@council.example\r\nX-Failed-Recipients: kim@council.example\r\nSubject: Mail delivery failed: returning message to sender\r\n\r\n" +
				"A message that you sent could not be delivered to one or more of its\r\nrecipients. This is a permanent error. The following address(es) failed:\r\n\r\n" +
				"  kim@council.example\r\n    SMTP error from remote mail server after RCPT TO:<kim@council.example>:\r\n    550 5.1.1 <kim@council.example>: user does not exist\r\n",
			"kim@council.example", ReasonUserUnknown, true},
		{"the reporting system says the address could not be found (Gmail)",
			"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nSubject: Delivery Status Notification (Failure)\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n\r\n** Address not found **\r\n\r\nYour message wasn't delivered to kim@example.de because the address couldn't be found. Check for typos or unnecessary spaces and try again.\r\n\r\nThe response from the remote server was:\r\n550 #5.1.0 Address rejected.\r\n" +
				"--b\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; kim@example.de\r\nAction: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: smtp; 550 #5.1.0 Address rejected.\r\n--b--\r\n",
			"kim@example.de", ReasonUserUnknown, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := ReadBounce([]byte(tc.msg))
			checkReport(t, r, ok)
			if !ok || len(r.Bounces) != 1 {
				t.Fatalf("ReadBounce = %+v, %v; want one failure", r.Bounces, ok)
			}
			b := r.Bounces[0]
			if b.Recipient != tc.rcpt || b.Reason != tc.reason || b.Hard != tc.hard {
				t.Errorf("read %s as %s hard=%v (%q), want %s %s hard=%v", b.Recipient, b.Reason, b.Hard, b.Diagnostic, tc.rcpt, tc.reason, tc.hard)
			}
		})
	}
}

func TestOrangeCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		diag string
		want Reason
	}{
		{"550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]", ReasonUserUnknown},
		{"552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]", ReasonMailboxFull},
		{"550 5.2.0 Mail rejete. Mail rejected. OFR_506 [506]", ReasonSpamDetected},
		{"550 5.5.0 Le compte du destinataire est bloque. LPN007_426", ReasonSuspend},
		{"421 mwinf5c04 ME Client host blocked for spamming issues. OFR006_102 Ref http://csi.cloudmark.com", ReasonBlocked},
		{"550 5.5.0 SPF: example.org is not allowed to send mail. LPN004_401", ReasonAuthFailure},
		{"550 5.1.1 <kim@example.org>: user unknown xofr_417", ReasonUserUnknown}, // not a code: read by its words
	} {
		if got := reasonOf("", tc.diag); got != tc.want {
			t.Errorf("reasonOf(%q) = %s, want %s", tc.diag, got, tc.want)
		}
	}
}
