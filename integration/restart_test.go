//go:build integration

package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// TestServersRestart stops the real Dovecot, then the real Postfix, while
// people write to the bot, and starts it again a few seconds later with the
// same state. The bot loses its IMAP connection, or cannot hand its reply
// over, keeps running, tries again with growing waits, and once the server
// is back answers each person exactly once.
func TestServersRestart(t *testing.T) {
	s := needServers(t)
	const early, late = "olive@example.test", "zed@example.test"
	tests := []struct {
		server string
		// write puts late's request where the bot will find it while
		// the server is down, and returns its Message-ID.
		write func(t *testing.T) string
	}{
		// Postfix takes the message and keeps it until Dovecot's LMTP
		// is back.
		{"dovecot", func(t *testing.T) string { return s.send(t, late, botAddress, "help", "help") }},
		// Without Postfix nothing can be sent, so the request is put
		// straight into the bot's mailbox, as Dovecot's own delivery would.
		{"postfix", func(t *testing.T) string { return s.appendTo(t, botAddress, late, "help", "help") }},
	}
	for _, tc := range tests {
		t.Run(tc.server, func(t *testing.T) {
			s.fresh(t, early, late)
			bot := startBot(t, s, nil)
			s.send(t, early, botAddress, "help", "help")
			s.waitForMail(t, early, nil)

			var id string
			s.restart(t, tc.server, func() {
				id = tc.write(t)
				if tc.server == "dovecot" {
					waitFor(t, "the bot to notice Dovecot has gone", func() bool { return !bot.Inbox.Status().Connected })
				} else {
					waitFor(t, "the bot to try to send its reply", func() bool {
						out, err := bot.Store.OutboxByRcpt(context.Background(), late)
						return err == nil && len(out) == 1 && out[0].Attempts > 0
					})
				}
				time.Sleep(2 * time.Second)
			})

			reply := s.waitForMail(t, late, nil)
			if got, _ := reply.Header.MsgIDList("In-Reply-To"); strings.Join(got, " ") != id {
				t.Errorf("reply to %s is In-Reply-To %v, want %s", late, got, id)
			}
			waitFor(t, "the inbox to be connected again", func() bool { return bot.Inbox.Status().Connected })
			out, err := bot.Store.OutboxByRcpt(context.Background(), late)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 1 || out[0].Status != "sent" {
				t.Fatalf("outbox for %s = %+v, want one sent reply", late, out)
			}
			if tc.server == "postfix" && out[0].Attempts < 2 {
				t.Errorf("the reply went on attempt %d, want a retry after Postfix refused", out[0].Attempts)
			}
			// One more round trip: any second reply would be out by now.
			s.send(t, early, botAddress, "help", "help again")
			waitFor(t, "the second answer to "+early, func() bool { return len(s.mailbox(t, early)) == 2 })
			if n := len(s.mailbox(t, late)); n != 1 {
				t.Errorf("%s has %d replies, want 1", late, n)
			}
		})
	}
}

// restart is Restart, failing the test on error.
func (s *servers) restart(t *testing.T, name string, during func()) {
	t.Helper()
	if err := s.Restart(name, during); err != nil {
		t.Fatal(err)
	}
}

// appendTo puts a plain message from from into addr's INBOX over IMAP, as
// Dovecot's own delivery would, and returns its Message-ID.
func (s *servers) appendTo(t *testing.T, addr, from, subject, body string) string {
	t.Helper()
	id := time.Now().Format("20060102150405.000000000") + "." + from
	raw := "From: " + from + "\r\nTo: " + addr + "\r\nSubject: " + subject + "\r\nDate: " + time.Now().Format(time.RFC1123Z) +
		"\r\nMessage-ID: <" + id + ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
	c, _ := s.login(t, addr)
	defer c.Logout()
	cmd := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{Time: time.Now()})
	if _, err := cmd.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append to %s's INBOX: %v", addr, err)
	}
	return id
}
