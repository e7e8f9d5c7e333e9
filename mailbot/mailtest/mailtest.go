// Package mailtest plays a member of the public in tests: it sends mail with
// a real SMTP client and reads a mailbox with a real IMAP client, against
// the in-process servers or (Client with TLS and a password) a real
// Postfix and Dovecot. It also plays a mail provider's SMTP server that
// records what it is sent and fails as it is told (SMTPServer). It is for
// tests only.
package mailtest

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message in a mailbox.
type Message struct {
	UID   imap.UID
	Flags []imap.Flag
	Raw   []byte
}

// Seen reports whether the message is flagged \Seen.
func (m Message) Seen() bool { return slices.Contains(m.Flags, imap.FlagSeen) }

// Client is a person's mail program: how it reaches the servers. The zero
// Client is for the in-process test servers: no TLS, and any password.
// With TLS set it starts TLS on both SMTP and IMAP before anything else
// and logs in with Password, as a person's mail program does with a real
// Postfix and Dovecot.
type Client struct {
	TLS      *tls.Config
	Password string // default "any"
}

// Send submits raw from the envelope sender from to the recipient to.
func Send(t testing.TB, addr, from, to, raw string) {
	t.Helper()
	Client{}.Send(t, addr, "", from, to, raw)
}

// Send submits raw to the SMTP server at addr from the envelope sender
// from ("" for a null sender) to the recipient to, first logging in as
// login with AUTH PLAIN unless login is "".
func (cl Client) Send(t testing.TB, addr, login, from, to, raw string) {
	t.Helper()
	var (
		c   *smtp.Client
		err error
	)
	if cl.TLS != nil {
		c, err = smtp.DialStartTLS(addr, cl.TLS)
	} else {
		c, err = smtp.Dial(addr)
	}
	if err != nil {
		t.Fatalf("SMTP %s: %v", addr, err)
	}
	defer c.Close()
	if login != "" {
		if err := c.Auth(sasl.NewPlainClient("", login, cl.password())); err != nil {
			t.Fatalf("SMTP AUTH as %s at %s: %v", login, addr, err)
		}
	}
	if err := c.SendMail(from, []string{to}, strings.NewReader(raw)); err != nil {
		t.Fatalf("send to %s via %s: %v", to, addr, err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("SMTP QUIT at %s: %v", addr, err)
	}
}

func (cl Client) password() string {
	if cl.Password == "" {
		return "any"
	}
	return cl.Password
}

// Login opens user's INBOX on the IMAP server at addr; the caller closes
// the connection.
func (cl Client) Login(t testing.TB, addr, user string) (*imapclient.Client, *imap.SelectData) {
	t.Helper()
	var (
		c   *imapclient.Client
		err error
	)
	if cl.TLS != nil {
		c, err = imapclient.DialStartTLS(addr, &imapclient.Options{TLSConfig: cl.TLS})
	} else {
		c, err = imapclient.DialInsecure(addr, nil)
	}
	if err != nil {
		t.Fatalf("IMAP %s: %v", addr, err)
	}
	if err := c.Login(user, cl.password()).Wait(); err != nil {
		c.Close()
		t.Fatalf("IMAP log in as %s: %v", user, err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		c.Close()
		t.Fatalf("IMAP select %s's INBOX: %v", user, err)
	}
	return c, sel
}

var whole = &imap.FetchItemBodySection{Peek: true}

// Mailbox returns every message in user's INBOX, without flagging them.
func Mailbox(t testing.TB, addr, user string) []Message {
	t.Helper()
	return Client{}.Mailbox(t, addr, user)
}

// Mailbox returns every message in user's INBOX, without flagging them.
func (cl Client) Mailbox(t testing.TB, addr, user string) []Message {
	t.Helper()
	c, sel := cl.Login(t, addr, user)
	defer c.Close()
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
	if err != nil {
		t.Fatalf("IMAP fetch %s's INBOX: %v", user, err)
	}
	out := make([]Message, len(bufs))
	for i, b := range bufs {
		out[i] = Message{UID: b.UID, Flags: b.Flags, Raw: b.FindBodySection(whole)}
	}
	return out
}

// Unsee clears \Seen on every message in user's INBOX.
func Unsee(t testing.TB, addr, user string) {
	t.Helper()
	Client{}.Unsee(t, addr, user)
}

// Unsee clears \Seen on every message in user's INBOX.
func (cl Client) Unsee(t testing.TB, addr, user string) {
	t.Helper()
	c, _ := cl.Login(t, addr, user)
	defer c.Close()
	var all imap.SeqSet
	all.AddRange(1, 0)
	if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
}

// Clear deletes every message in user's INBOX.
func (cl Client) Clear(t testing.TB, addr, user string) {
	t.Helper()
	c, sel := cl.Login(t, addr, user)
	defer c.Close()
	if sel.NumMessages == 0 {
		return
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
}

// WaitFor polls cond until it holds, failing the test after ten seconds.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Wait(t, 10*time.Second, what, cond)
}

// Wait polls cond until it holds, failing the test after within.
func Wait(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitForMail waits until user's INBOX holds n messages and returns them;
// more than n fails the test.
func WaitForMail(t testing.TB, addr, user string, n int) []Message {
	t.Helper()
	return Client{}.WaitForMail(t, addr, user, n)
}

// WaitForMail waits until user's INBOX holds n messages and returns them;
// more than n fails the test.
func (cl Client) WaitForMail(t testing.TB, addr, user string, n int) []Message {
	t.Helper()
	var msgs []Message
	WaitFor(t, fmt.Sprintf("%d message(s) for %s", n, user), func() bool {
		msgs = cl.Mailbox(t, addr, user)
		return len(msgs) >= n
	})
	if len(msgs) != n {
		t.Fatalf("%s has %d messages, want %d", user, len(msgs), n)
	}
	return msgs
}
