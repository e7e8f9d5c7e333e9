package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/mailbot/mailtest/realmail"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

const (
	// botAddress is the project mailbox the bot reads.
	botAddress = "betterdays@example.test"
	// waitTimeout bounds every wait for mail.
	waitTimeout = 20 * time.Second
)

// people have mailboxes from the start; addUser adds more.
var people = []string{botAddress, "ann@example.test", "mary@example.test", "nora@example.test",
	"olive@example.test", "staff@example.test", "zed@example.test"}

// servers is the Dovecot and Postfix the tests share, with the ways a
// person's mail program uses them.
type servers struct{ *realmail.Servers }

// addUser gives addr a mailbox (password: realmail.Password); for tests
// that need people beyond the usual ones.
func (s *servers) addUser(t testing.TB, addr string) {
	t.Helper()
	if err := s.AddUser(addr); err != nil {
		t.Fatal(err)
	}
}

// send writes a plain message as a person's mail client would and submits
// it to Postfix; from may carry a name ("Ann Smith <ann@example.test>"). It
// returns the Message-ID, without angle brackets.
func (s *servers) send(t testing.TB, from, to, subject, body string) string {
	t.Helper()
	id, raw := compose(t, from, to, subject, body)
	sender, _ := netmail.ParseAddress(from)
	s.sendRaw(t, sender.Address, to, raw)
	return id
}

// compose writes a plain message as a person's mail client would, and
// returns its Message-ID (without angle brackets) and its text.
func compose(t testing.TB, from, to, subject, body string, extra ...string) (id, raw string) {
	t.Helper()
	sender, err := netmail.ParseAddress(from)
	if err != nil {
		t.Fatalf("compose: From %q: %v", from, err)
	}
	id = fmt.Sprintf("%d.%s", time.Now().UnixNano(), sender.Address)
	var top strings.Builder
	for _, h := range extra {
		top.WriteString(h + "\r\n")
	}
	raw = fmt.Sprintf("%sFrom: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		top.String(), sender, to, subject, time.Now().Format(time.RFC1123Z), id, strings.ReplaceAll(body, "\n", "\r\n"))
	return id, raw
}

// sendRaw submits raw to Postfix's public port over SMTP with STARTTLS,
// with envFrom as the envelope sender ("" for a null sender), as anyone on
// the internet may.
func (s *servers) sendRaw(t testing.TB, envFrom, to, raw string) {
	t.Helper()
	s.sendVia(t, s.SMTPAddr, "", envFrom, to, raw)
}

// submitRaw sends raw through the submission port logged in as login, as
// a person's mail program does; envFrom and the From in raw may be anyone.
func (s *servers) submitRaw(t testing.TB, login, envFrom, to, raw string) {
	t.Helper()
	s.sendVia(t, s.SubmitAddr, login, envFrom, to, raw)
}

// submit is send through the submission port, logged in as login.
func (s *servers) submit(t testing.TB, login, from, to, subject, body string) string {
	t.Helper()
	id, raw := compose(t, from, to, subject, body)
	sender, _ := netmail.ParseAddress(from)
	s.submitRaw(t, login, sender.Address, to, raw)
	return id
}

// sendVia hands raw to Postfix at addr after STARTTLS, first logging in as
// login with AUTH PLAIN unless login is "".
func (s *servers) sendVia(t testing.TB, addr, login, envFrom, to, raw string) {
	t.Helper()
	s.Client().Send(t, addr, login, envFrom, to, raw)
}

// message is one message in a mailbox, with its header read.
type message struct {
	mailtest.Message
	Header mail.Header
}

// messageID is the Message-ID without angle brackets.
func (m *message) messageID() string {
	id, _ := m.Header.MessageID()
	return id
}

// text is the first text/plain part, decoded.
func (m *message) text() string {
	r, err := mail.CreateReader(bytes.NewReader(m.Raw))
	if err != nil && !gomessage.IsUnknownCharset(err) {
		return ""
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			return ""
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
}

// login opens addr's INBOX the way a person's mail client does: STARTTLS,
// then a password.
func (s *servers) login(t testing.TB, addr string) (*imapclient.Client, *imap.SelectData) {
	t.Helper()
	return s.Client().Login(t, s.IMAPAddr, addr)
}

// mailbox returns every message in addr's INBOX, without flagging any.
func (s *servers) mailbox(t testing.TB, addr string) []*message {
	t.Helper()
	var out []*message
	for _, raw := range s.Client().Mailbox(t, s.IMAPAddr, addr) {
		m := &message{Message: raw}
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(m.Raw)))
		if err != nil {
			t.Fatalf("message %d in %s's INBOX: %v", m.UID, addr, err)
		}
		m.Header = mail.Header{Header: gomessage.Header{Header: h}}
		out = append(out, m)
	}
	return out
}

// waitForMail waits until a message in addr's INBOX satisfies pred (nil
// for any), and returns it.
func (s *servers) waitForMail(t testing.TB, addr string, pred func(*message) bool) *message {
	t.Helper()
	var found *message
	mailtest.Wait(t, waitTimeout, "a matching message in "+addr+"'s INBOX", func() bool {
		for _, m := range s.mailbox(t, addr) {
			if pred == nil || pred(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// clearMailbox deletes every message in addr's INBOX.
func (s *servers) clearMailbox(t testing.TB, addr string) {
	t.Helper()
	s.Client().Clear(t, s.IMAPAddr, addr)
}

// fresh empties each address's INBOX, so a test (or a second run under
// -count) starts from nothing.
func (s *servers) fresh(t testing.TB, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		s.clearMailbox(t, a)
	}
}
