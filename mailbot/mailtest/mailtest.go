// Package mailtest plays a member of the public in tests: it sends mail with
// a real SMTP client and reads a mailbox with a real IMAP client. It is for
// tests only.
package mailtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
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

// Send submits raw from the envelope sender from to the recipient to.
func Send(t testing.TB, addr, from, to, raw string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail(from, []string{to}, strings.NewReader(raw)); err != nil {
		t.Fatalf("send to %s: %v", to, err)
	}
	c.Quit()
}

// login opens user's INBOX (any password: test servers).
func login(t testing.TB, addr, user string) (*imapclient.Client, *imap.SelectData) {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(user, "any").Wait(); err != nil {
		c.Close()
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c, sel
}

var whole = &imap.FetchItemBodySection{Peek: true}

// Mailbox returns every message in user's INBOX, without flagging them.
func Mailbox(t testing.TB, addr, user string) []Message {
	t.Helper()
	c, sel := login(t, addr, user)
	defer c.Close()
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{whole}}).Collect()
	if err != nil {
		t.Fatal(err)
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
	c, _ := login(t, addr, user)
	defer c.Close()
	var all imap.SeqSet
	all.AddRange(1, 0)
	if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
}

// WaitFor polls cond until it holds, failing the test after ten seconds.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitForMail waits until user's INBOX holds n messages and returns them;
// more than n fails the test.
func WaitForMail(t testing.TB, addr, user string, n int) []Message {
	t.Helper()
	var msgs []Message
	WaitFor(t, fmt.Sprintf("%d message(s) for %s", n, user), func() bool {
		msgs = Mailbox(t, addr, user)
		return len(msgs) >= n
	})
	if len(msgs) != n {
		t.Fatalf("%s has %d messages, want %d", user, len(msgs), n)
	}
	return msgs
}
