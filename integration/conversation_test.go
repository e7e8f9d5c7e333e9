//go:build integration

package integration

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailtest/realmail"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// TestHelpConversation is the whole path on real servers: Ann sends "help"
// through Postfix, Dovecot delivers it over LMTP, the bot reads it over IMAP
// (STARTTLS, then a password), answers through Postfix (STARTTLS), and Ann
// reads the answer from her own mailbox.
func TestHelpConversation(t *testing.T) {
	s := needServers(t)
	const ann = "ann@example.test"
	s.fresh(t, ann)
	bot := startBot(t, s, nil)

	id := s.send(t, "Ann Smith <"+ann+">", botAddress, "help", "Hello, what can I do by email?")
	reply := s.waitForMail(t, ann, nil)

	h := reply.Header
	from, _ := h.AddressList("From")
	subject, _ := h.Subject()
	inReplyTo, _ := h.MsgIDList("In-Reply-To")
	refs, _ := h.MsgIDList("References")
	msgID := reply.messageID()
	for _, c := range []struct{ name, got, want string }{
		{"From", from[0].String(), `"Better Days" <betterdays@example.test>`},
		{"Subject", subject, "Re: help"},
		{"In-Reply-To", strings.Join(inReplyTo, " "), id},
		{"References", strings.Join(refs, " "), id},
		{"Auto-Submitted", h.Get("Auto-Submitted"), "auto-replied"},
		{"Message-ID domain", msgID[strings.IndexByte(msgID, '@')+1:], "example.test"},
	} {
		if c.got != c.want {
			t.Errorf("reply %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	// Dovecot's LMTP records the envelope sender: a plus-address of the
	// project mailbox naming this message (VERP), where a bounce comes back.
	if rp := h.Get("Return-Path"); !strings.HasPrefix(rp, "<betterdays+bounce-") || !strings.HasSuffix(rp, "@example.test>") {
		t.Errorf("reply Return-Path = %q, want <betterdays+bounce-…@example.test>", rp)
	}
	// Postfix's Received line says how the bot handed the reply over.
	if rcvd := strings.Join(h.Values("Received"), "\n"); !strings.Contains(rcvd, "with ESMTPS") {
		t.Errorf("the bot did not use STARTTLS with Postfix; Received:\n%s", rcvd)
	}
	if text := reply.text(); !strings.Contains(text, "Hello Ann,") {
		t.Errorf("reply text lacks a greeting for Ann:\n%s", text)
	}

	if got := outcome(t, bot, id); got != "replied: help" {
		t.Errorf("outcome of Ann's message = %q, want %q", got, "replied: help")
	}
	out, err := bot.Store.OutboxByRcpt(context.Background(), ann)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Status != "sent" || out[0].MessageID != msgID {
		t.Errorf("outbox for Ann = %+v, want one sent row with Message-ID %s", out, msgID)
	}
	// The bot logged in over TLS, and flags a message only once handled.
	s.WaitForLog(t, regexp.MustCompile(`imap-login: Info: Login: user=<`+regexp.QuoteMeta(botAddress)+`>, method=PLAIN, .*\bTLS\b`))
	waitFor(t, "Ann's message to be flagged \\Seen in the bot's INBOX", func() bool {
		in := s.mailbox(t, botAddress)
		return len(in) == 1 && in[0].Seen()
	})
	if n := len(s.mailbox(t, ann)); n != 1 {
		t.Errorf("Ann has %d messages, want 1", n)
	}
}

// TestPasswordNeedsTLS checks Dovecot is as strict as an organisation's
// server: no password before STARTTLS. Dovecot counts a client whose address
// equals its own as secured and lets it log in without TLS, so this client
// comes from 127.0.0.2; the bot, from 127.0.0.1, could log in either way,
// which is why TestHelpConversation checks Dovecot's log for TLS.
func TestPasswordNeedsTLS(t *testing.T) {
	s := needServers(t)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", s.IMAPAddr)
	if err != nil {
		t.Fatal(err)
	}
	c := imapclient.New(conn, nil)
	defer c.Close()
	if !c.Caps().Has(imap.CapLoginDisabled) {
		t.Errorf("Dovecot offers LOGIN before STARTTLS; capabilities %v", c.Caps())
	}
	if err := c.Login(botAddress, realmail.Password).Wait(); err == nil {
		t.Error("Dovecot accepted a password without TLS")
	}
}
