//go:build integration

package integration

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// vacation is a Sieve out-of-office reply (RFC 5230), as a person sets one
// in their webmail.
const vacation = `require ["vacation"];
vacation :days 1 :subject "Out of office: Mary Jones"
  "I am away until Monday 2 August. For anything urgent ring 01234 567890.";
`

// TestVacationReplyNotAnswered: an officer writes to Mary by hand from the
// project mailbox; Mary's real Sieve vacation answers the project address.
// The bot records that auto-reply and never answers it.
func TestVacationReplyNotAnswered(t *testing.T) {
	s := needServers(t)
	const mary = "mary@example.test"
	s.fresh(t, mary)
	s.SetSieve(t, mary, vacation)
	bot := startBot(t, s, nil)

	// No Auto-Submitted: written by a person, so Sieve may answer it.
	letter := "From: Better Days <" + botAddress + ">\r\nTo: Mary Jones <" + mary + ">\r\n" +
		"Subject: Your place on Thursday\r\nMessage-ID: <letter.1@example.test>\r\n" +
		"Date: Mon, 26 Jul 2027 09:00:00 +0100\r\n\r\nDear Mary, we have kept your place.\r\n"
	s.sendRaw(t, botAddress, mary, letter)

	auto := s.waitForMail(t, botAddress, nil)
	subject, _ := auto.Header.Subject()
	inReplyTo, _ := auto.Header.MsgIDList("In-Reply-To")
	for _, c := range []struct{ name, got, want string }{
		{"Subject", subject, "Out of office: Mary Jones"},
		{"In-Reply-To", strings.Join(inReplyTo, " "), "letter.1@example.test"},
		{"Auto-Submitted", auto.Header.Get("Auto-Submitted"), "auto-replied (vacation)"},
		{"Return-Path", auto.Header.Get("Return-Path"), "<>"},
	} {
		if c.got != c.want {
			t.Errorf("vacation reply %s = %q, want %q", c.name, c.got, c.want)
		}
	}

	got := outcome(t, bot, auto.messageID())
	t.Logf("the bot recorded Mary's vacation reply as %q", got)
	if !strings.HasPrefix(got, "ignored: automatic") {
		t.Errorf("outcome of Mary's vacation reply = %q, want ignored: automatic (…)", got)
	}
	// Replies are queued in the transaction that records the message, so
	// an empty outbox now means nothing will ever be sent to Mary.
	if out := outbox(t, bot); len(out) != 0 {
		t.Errorf("the bot queued %v after Mary's vacation reply, want nothing", out)
	}
	if n := len(s.mailbox(t, mary)); n != 1 {
		t.Errorf("Mary has %d messages, want 1 (the officer's letter)", n)
	}
}

// TestVacationIgnoresBotReplies: Nora has a vacation reply set and asks the
// bot for help. The bot's answer says Auto-Submitted: auto-replied, so
// Sieve does not answer it (RFC 3834 section 2): no loop, one message each.
func TestVacationIgnoresBotReplies(t *testing.T) {
	s := needServers(t)
	const nora = "nora@example.test"
	s.fresh(t, nora)
	s.SetSieve(t, nora, vacation)
	bot := startBot(t, s, nil)

	id := s.send(t, "Nora Price <"+nora+">", botAddress, "help", "help")
	reply := s.waitForMail(t, nora, nil)
	// Dovecot logs what Sieve did with the bot's reply.
	line := s.WaitForLog(t, regexp.MustCompile(`lmtp\(`+regexp.QuoteMeta(nora)+`\).*msgid=<`+regexp.QuoteMeta(reply.messageID())+`>: .*vacation.*`))
	if !strings.Contains(line, "discard") {
		t.Errorf("Sieve on the bot's reply: %s\nwant the vacation response discarded", line)
	}
	if got := outcome(t, bot, id); got != "replied: help" {
		t.Errorf("outcome of Nora's message = %q, want replied: help", got)
	}
	if n := len(s.mailbox(t, botAddress)); n != 1 {
		t.Errorf("the bot's INBOX holds %d messages, want 1 (Nora's)", n)
	}
	if n := len(s.mailbox(t, nora)); n != 1 {
		t.Errorf("Nora has %d messages, want 1", n)
	}
}

// TestBounceNotAnswered: a message claims to be from an address that does
// not exist. The bot's answer is accepted by Postfix, refused by Dovecot,
// and comes back as Postfix's delivery status notification (RFC 3464). The
// bot records the bounce and does not answer it.
func TestBounceNotAnswered(t *testing.T) {
	s := needServers(t)
	const nobody = "nobody-here@example.test"
	bot := startBot(t, s, nil)

	id := s.send(t, nobody, botAddress, "help", "help")
	dsn := s.waitForMail(t, botAddress, func(m *message) bool {
		ct, _, _ := m.Header.ContentType()
		return ct == "multipart/report"
	})
	_, params, _ := dsn.Header.ContentType()
	from, _ := dsn.Header.AddressList("From")
	for _, c := range []struct{ name, got, want string }{
		{"report-type", params["report-type"], "delivery-status"},
		{"From", from[0].Address, "MAILER-DAEMON@example.test"},
		{"Return-Path", dsn.Header.Get("Return-Path"), "<>"},
	} {
		if c.got != c.want {
			t.Errorf("bounce %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	sent, err := bot.Store.OutboxByRcpt(context.Background(), nobody)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 {
		t.Fatalf("outbox for %s = %+v, want the one reply", nobody, sent)
	}
	// The bounce carries the header of what bounced: our reply.
	if !strings.Contains(string(dsn.Raw), sent[0].MessageID) {
		t.Errorf("bounce does not mention the bot's reply %s:\n%s", sent[0].MessageID, dsn.Raw)
	}
	if got := outcome(t, bot, id); got != "replied: help" {
		t.Errorf("outcome of the message from %s = %q, want replied: help", nobody, got)
	}
	got := outcome(t, bot, dsn.messageID())
	t.Logf("the bot recorded Postfix's bounce as %q", got)
	// A genuine Postfix DSN, matched by our VERP envelope sender: the
	// address gets no more mail until its owner writes.
	if want := "bounce: permanent failure 5.1.1 for " + nobody + ";"; !strings.HasPrefix(got, want) {
		t.Errorf("outcome of the bounce = %q, want it to start %q", got, want)
	}
	// Recorded with no reply queued in the same transaction: nothing will
	// ever answer the bounce.
	if got, want := strings.Join(outbox(t, bot), "; "), "help → "+nobody+" (sent)"; got != want {
		t.Errorf("the bot's outbox = %s, want only %s", got, want)
	}
}
