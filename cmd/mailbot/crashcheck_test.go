package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	netmail "net/mail"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/store"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// What TestCrashSafety checks, from outside the bot: the mailboxes over
// IMAP and the database with SQL.

// crashPerson is someone who wrote to the bot, or is on the list.
type crashPerson struct {
	addr    string
	kind    string // book, join, help, or reader (on the list before)
	request string // Message-ID of what they wrote
	yes     string // Message-ID of their YES, for joiners
}

// crashCheck reads the mailboxes and the database from outside the bot.
type crashCheck struct {
	t         *testing.T
	ms        *mailserver.Server
	db        *sql.DB
	folder    string // MAILBOT_PROCESSED_FOLDER, or "" for \Seen in INBOX
	delivered int    // messages put in the bot's INBOX
}

// deliver puts a message from addr into the bot's INBOX, as the mail
// server would.
func (c *crashCheck) deliver(from, to, id, inReplyTo, subject, text string) {
	c.t.Helper()
	thread := ""
	if inReplyTo != "" {
		thread = "In-Reply-To: <" + inReplyTo + ">\r\nReferences: <" + inReplyTo + ">\r\n"
	}
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\n%sDate: %s\r\n\r\n%s\r\n",
		from, to, subject, id, thread, time.Now().Format(time.RFC1123Z), text)
	if err := c.ms.Deliver(from, to, []byte(raw)); err != nil {
		c.t.Fatal(err)
	}
	c.delivered++
}

func (c *crashCheck) count(query string, args ...any) int {
	c.t.Helper()
	var n int
	if err := c.db.QueryRow(query, args...).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// allDone holds when every message given to the bot is recorded, and
// marked handled on the server (flagged \Seen, or moved out of the
// INBOX), and nothing is left to send.
func (c *crashCheck) allDone() bool {
	if c.count(`SELECT count(*) FROM inbound`) != c.delivered ||
		c.count(`SELECT count(*) FROM inbound WHERE marked = 0`) != 0 ||
		c.count(`SELECT count(*) FROM outbox WHERE status = 'queued'`) != 0 {
		return false
	}
	for _, m := range mailtest.Mailbox(c.t, c.ms.IMAPAddr(), crashBot) {
		if c.folder != "" || !m.Seen() {
			return false
		}
	}
	return true
}

// markedMeansCommitted checks that every message flagged \Seen in the
// bot's INBOX, or moved to the processed folder, has its record in the
// database: the mark comes only after the commit.
func (c *crashCheck) markedMeansCommitted(gen int) {
	c.t.Helper()
	marked := c.folderMessages(c.folder)
	for _, m := range mailtest.Mailbox(c.t, c.ms.IMAPAddr(), crashBot) {
		if m.Seen() {
			marked = append(marked, m)
		}
	}
	for _, m := range marked {
		if id := messageID(m.Raw); c.count(`SELECT count(*) FROM inbound WHERE message_key = ?`, id) == 0 {
			c.t.Errorf("after run %d was killed, message %s is marked handled but not recorded", gen, id)
		}
	}
}

// folderMessages returns every message in the bot's folder name, or none
// if there is no such folder (or name is "").
func (c *crashCheck) folderMessages(name string) []mailtest.Message {
	c.t.Helper()
	if name == "" {
		return nil
	}
	cl, err := imapclient.DialInsecure(c.ms.IMAPAddr(), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Login(crashBot, "any").Wait(); err != nil {
		c.t.Fatal(err)
	}
	sel, err := cl.Select(name, nil).Wait()
	if err != nil || sel.NumMessages == 0 {
		return nil // not made yet, or empty
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	body := &imap.FetchItemBodySection{Peek: true}
	bufs, err := cl.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil {
		c.t.Fatal(err)
	}
	var out []mailtest.Message
	for _, b := range bufs {
		out = append(out, mailtest.Message{UID: b.UID, Flags: b.Flags, Raw: b.FindBodySection(body)})
	}
	return out
}

// messageID is a raw message's Message-ID, without angle brackets.
func messageID(raw []byte) string {
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	return strings.Trim(strings.TrimSpace(m.Header.Get("Message-Id")), "<>")
}

// newsletterDone holds when the newsletter's n copies are all sent.
func (c *crashCheck) newsletterDone(n int) bool {
	return c.count(`SELECT count(*) FROM outbox WHERE kind = 'newsletter' AND status = 'sent'`) == n &&
		c.count(`SELECT count(*) FROM outbox WHERE status = 'queued'`) == 0
}

// queued lists the Message-IDs of the rows waiting in the outbox.
func (c *crashCheck) queued() []string {
	c.t.Helper()
	rows, err := c.db.Query(`SELECT message_id FROM outbox WHERE status = 'queued'`)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			c.t.Fatal(err)
		}
		ids = append(ids, strings.Trim(id, "<>"))
	}
	return ids
}

// crashMsg is one message in a person's mailbox.
type crashMsg struct {
	id, inReplyTo, subject, replyTo, text string
}

func (c *crashCheck) mailbox(addr string) []*crashMsg {
	c.t.Helper()
	var out []*crashMsg
	for _, m := range mailtest.Mailbox(c.t, c.ms.IMAPAddr(), addr) {
		mr, err := mail.CreateReader(bytes.NewReader(m.Raw))
		if err != nil && !gomessage.IsUnknownCharset(err) {
			c.t.Fatalf("message %d to %s: %v", m.UID, addr, err)
		}
		msg := &crashMsg{}
		msg.id, _ = mr.Header.MessageID()
		if ids, _ := mr.Header.MsgIDList("In-Reply-To"); len(ids) > 0 {
			msg.inReplyTo = ids[0]
		}
		msg.subject, _ = mr.Header.Subject()
		if rt, _ := mr.Header.AddressList("Reply-To"); len(rt) > 0 {
			msg.replyTo = rt[0].Address
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			if h, ok := part.Header.(*mail.InlineHeader); ok {
				if ct, _, _ := h.ContentType(); ct == "text/plain" && msg.text == "" {
					b, _ := io.ReadAll(part.Body)
					msg.text = string(b)
				}
			}
		}
		out = append(out, msg)
	}
	return out
}

// only returns the one distinct message in addr's mailbox that matches,
// failing the test if there is not exactly one.
func (c *crashCheck) only(addr string, match func(*crashMsg) bool) *crashMsg {
	c.t.Helper()
	var got []*crashMsg
	ids := map[string]bool{}
	for _, m := range c.mailbox(addr) {
		if match(m) && !ids[m.id] {
			ids[m.id] = true
			got = append(got, m)
		}
	}
	if len(got) != 1 {
		c.t.Fatalf("%s has %d distinct matching messages, want 1", addr, len(got))
	}
	return got[0]
}

// checkMail checks every person has exactly the distinct messages owed,
// and returns how many extra copies (same Message-ID) there were.
func (c *crashCheck) checkMail(people, readers []*crashPerson) int {
	c.t.Helper()
	onList := map[string]bool{}
	for _, p := range readers {
		onList[p.addr] = true
	}
	everyone := slices.Clone(people)
	for _, p := range readers {
		if p.kind == "reader" {
			everyone = append(everyone, p)
		}
	}
	extra := 0
	for _, p := range everyone {
		msgs := c.mailbox(p.addr)
		copies := map[string]int{}
		byID := map[string]*crashMsg{}
		for _, m := range msgs {
			copies[m.id]++
			byID[m.id] = m
		}
		for id, n := range copies {
			if n > 1 {
				c.t.Logf("%s has %d copies of %s", p.addr, n, id)
				extra += n - 1
			}
		}
		answers := func(ref string) int {
			n := 0
			for _, m := range byID {
				if ref != "" && m.inReplyTo == ref {
					n++
				}
			}
			return n
		}
		news := 0
		for _, m := range byID {
			if m.subject == crashSubject {
				news++
			}
		}
		// An answer to each message they wrote, and the newsletter if
		// they are on the list.
		want := 0
		for _, owed := range []bool{p.request != "", p.yes != "", onList[p.addr]} {
			if owed {
				want++
			}
		}
		if p.request != "" && answers(p.request) != 1 {
			c.t.Errorf("%s (%s) has %d distinct answers to their request, want 1", p.addr, p.kind, answers(p.request))
		}
		if p.yes != "" && answers(p.yes) != 1 {
			c.t.Errorf("%s has %d distinct answers to their YES, want 1", p.addr, answers(p.yes))
		}
		if wantNews := map[bool]int{true: 1}[onList[p.addr]]; news != wantNews {
			c.t.Errorf("%s has %d distinct copies of the newsletter, want %d", p.addr, news, wantNews)
		}
		if len(byID) != want {
			var subjects []string
			for _, m := range byID {
				subjects = append(subjects, m.subject)
			}
			c.t.Errorf("%s (%s) has %d distinct messages %q, want %d", p.addr, p.kind, len(byID), subjects, want)
		}
	}
	return extra
}

// checkDatabase checks the bookings, the list, the records of mail in and
// out, and SQLite's own consistency.
func (c *crashCheck) checkDatabase(people, joiners, readers []*crashPerson) {
	c.t.Helper()
	var ok string
	if err := c.db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		c.t.Errorf("PRAGMA integrity_check = %q, %v; want ok", ok, err)
	}
	if n := c.count(`SELECT count(*) FROM pragma_foreign_key_check`); n != 0 {
		c.t.Errorf("%d rows break a foreign key", n)
	}

	// Bookings: one each, the first five confirmed, the rest waiting,
	// each told what they got.
	status := map[string]string{}
	rows, err := c.db.Query(`SELECT p.email, b.status, b.places FROM bookings b JOIN people p ON p.id = b.person_id WHERE b.session_id = ?`, crashSession)
	if err != nil {
		c.t.Fatal(err)
	}
	confirmed := 0
	for rows.Next() {
		var email, st string
		var places int
		if err := rows.Scan(&email, &st, &places); err != nil {
			c.t.Fatal(err)
		}
		if _, dup := status[email]; dup {
			c.t.Errorf("%s is booked twice", email)
		}
		status[email] = st
		if st == "confirmed" {
			confirmed += places
		}
	}
	rows.Close()
	bookers := 0
	for _, p := range people {
		if p.kind != "book" {
			if st, ok := status[p.addr]; ok {
				c.t.Errorf("%s (%s) has a booking (%s) they never asked for", p.addr, p.kind, st)
			}
			continue
		}
		bookers++
		ans := c.only(p.addr, func(m *crashMsg) bool { return m.inReplyTo == p.request })
		switch st := status[p.addr]; st {
		case "confirmed":
			if !strings.Contains(ans.text, "You are booked on") {
				c.t.Errorf("%s is booked, but was told:\n%s", p.addr, ans.text)
			}
		case "waitlisted":
			if !strings.Contains(ans.text, "waiting list") || strings.Contains(ans.text, "You are booked on") {
				c.t.Errorf("%s is on the waiting list, but was told:\n%s", p.addr, ans.text)
			}
		default:
			c.t.Errorf("%s asked to book and has booking status %q: lost", p.addr, st)
		}
	}
	if confirmed != crashCapacity {
		c.t.Errorf("%d places confirmed on a session of %d, with %d asking", confirmed, crashCapacity, bookers)
	}
	if len(status) != bookers {
		c.t.Errorf("%d bookings for %d people who asked", len(status), bookers)
	}

	// The list: every joiner and reader confirmed, nobody else on it.
	if got := c.count(`SELECT count(*) FROM subscriptions WHERE status = 'confirmed'`); got != len(readers) {
		c.t.Errorf("%d confirmed subscribers, want %d (%d joined by email)", got, len(readers), len(joiners))
	}
	// Mail in: one record per message; mail out: one row per message
	// owed, every one sent.
	in := len(people) + len(joiners)
	if got := c.count(`SELECT count(*) FROM inbound`); got != in {
		c.t.Errorf("%d messages recorded, want %d", got, in)
	}
	if got := c.count(`SELECT count(DISTINCT message_key) FROM inbound`); got != in {
		c.t.Errorf("%d distinct messages recorded, want %d", got, in)
	}
	if got := c.count(`SELECT count(*) FROM outbox WHERE inbound_id IS NOT NULL`); got != in {
		c.t.Errorf("%d replies queued, want %d: one per message", got, in)
	}
	if got := c.count(`SELECT count(*) FROM outbox WHERE kind = 'newsletter'`); got != len(readers) {
		c.t.Errorf("%d newsletter copies queued, want %d", got, len(readers))
	}
	if got, want := c.count(`SELECT count(*) FROM newsletters`), min(len(readers), 1); got != want {
		c.t.Errorf("%d newsletters recorded, want %d", got, want)
	}
	if got := c.count(`SELECT count(*) FROM outbox WHERE status <> 'sent'`); got != 0 {
		c.t.Errorf("%d outbox rows not sent", got)
	}
	inbox := mailtest.Mailbox(c.t, c.ms.IMAPAddr(), crashBot)
	for _, m := range inbox {
		if !m.Seen() {
			c.t.Errorf("message %d in the bot's INBOX is not \\Seen", m.UID)
		}
	}
	if c.folder != "" {
		// Moved once each: none left behind, none copied twice.
		moved := map[string]int{}
		for _, m := range c.folderMessages(c.folder) {
			moved[messageID(m.Raw)]++
		}
		if len(inbox) != 0 || len(moved) != in {
			c.t.Errorf("%d messages left in the INBOX and %d distinct ones in %s, want 0 and %d", len(inbox), len(moved), c.folder, in)
		}
		for id, n := range moved {
			if n != 1 {
				c.t.Errorf("%s is in %s %d times", id, c.folder, n)
			}
		}
	}
}

// seedSubscribers puts n people on the list directly, as if they had
// confirmed long ago.
func seedSubscribers(t *testing.T, dbPath string, n int, each func(addr string)) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	err = st.Write(ctx, func(tx *store.Tx) error {
		for i := range n {
			addr := fmt.Sprintf("reader%03d@example.org", i)
			id, err := tx.NotePerson(ctx, addr, fmt.Sprintf("Reader %d", i), now)
			if err != nil {
				return err
			}
			if err := tx.Confirm(ctx, id, "cli", "imported", "seeded by the test", now); err != nil {
				return err
			}
			each(addr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
