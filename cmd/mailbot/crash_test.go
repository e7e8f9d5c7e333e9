package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailserver"
	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/store"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

const (
	crashBot      = "betterdays@localhost"
	crashSession  = "tea-1"
	crashCapacity = 5
	crashConns    = 3 // MAILBOT_SMTP_CONNECTIONS: at most one unrecorded send each per crash
	crashSubject  = "Summer news from Better Days"
)

// TestCrashSafety is the promise "a crash at any point never loses a
// request or sends a confirmation twice", tested on the binary. The bot
// runs as its own process against a real IMAP and SMTP server and is
// SIGKILLed again and again: while fetching, while handling, after its
// commit but before \Seen, after \Seen but before recording it, before and
// after the SMTP server's 250 in the middle of a batch of replies, and in
// the middle of `mailbot newsletter send`. Each time it is started again on
// the same database and mailbox. In the end every request has exactly one
// answer, every booking and subscriber is there once, every newsletter
// reader has one copy, and SQLite's own check passes.
//
// The one repeat the design allows is a message the server took (250) just
// before the crash and the bot could not record as sent: it goes again with
// the same Message-ID, which mail clients show once. So copies are counted
// by Message-ID: each person must have exactly the distinct messages owed.
// The proxy in front of the SMTP server sees every message the server took;
// after each kill the test counts those still queued in the database (at
// most one per SMTP connection), and the extra copies in the mailboxes must
// be exactly those: nothing else goes twice.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the bot some forty times")
	}
	start := time.Now()
	ms, err := mailserver.Start(mailserver.Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	r := newCrashRig(t, 20270615, ms.IMAPAddr(), ms.SMTPAddr())
	dbPath := filepath.Join(r.dir, "mailbot.db")
	r.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"MAILBOT_DB=" + dbPath,
		"MAILBOT_ADDRESS=" + crashBot,
		"MAILBOT_IMAP=imap://" + crashBot + "@" + r.imap.Addr(),
		"MAILBOT_SMTP=smtp://" + r.smtp.Addr(),
		"MAILBOT_HTTP=127.0.0.1:0",
		"MAILBOT_POLL=5s",
		"MAILBOT_REMINDERS=off",
		"MAILBOT_SEND_PER_MINUTE=0",
		"MAILBOT_SEND_PER_DAY=0",
		fmt.Sprintf("MAILBOT_SMTP_CONNECTIONS=%d", crashConns),
	}

	// A session with five places, six weeks ahead, imported by the CLI.
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(london).AddDate(0, 0, 42)
	starts := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, london)
	csv := filepath.Join(r.dir, "timetable.csv")
	writeFile(t, csv, "id,kind,title,starts,ends,capacity,location,description\n"+
		fmt.Sprintf("%s,session,Tea and talk,%s,%s,%d,Town Hall,A cup of tea and a chat\n",
			crashSession, starts.Format("2006-01-02 15:04"), starts.Add(time.Hour).Format("2006-01-02 15:04"), crashCapacity))
	imp := r.start(nil, "sessions", "import", csv)
	if <-imp.done; imp.err != nil {
		t.Fatalf("sessions import: %v\n%s", imp.err, tail(imp.log, 20))
	}
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &crashCheck{t: t, ms: ms, db: db}
	// After each kill: which messages the server took from that run that
	// it did not live to record as sent. Each will go again, the same.
	unrecorded, midNewsletter := 0, 0
	r.afterKill = func(p *botProc) {
		r.mu.Lock()
		took := maps.Clone(r.accepted[p.gen])
		r.mu.Unlock()
		n := 0
		for _, id := range c.queued() {
			if took[id] {
				n++
			}
		}
		if n > crashConns {
			t.Errorf("run %d left %d messages sent but not recorded, more than one per SMTP connection (%d)", p.gen, n, crashConns)
		}
		unrecorded += n
		c.seenMeansCommitted(p.gen)
		if sent, all := c.count(`SELECT count(*) FROM outbox WHERE kind = 'newsletter' AND status = 'sent'`),
			c.count(`SELECT count(*) FROM outbox WHERE kind = 'newsletter'`); sent > 0 && sent < all {
			midNewsletter++
		}
	}

	// 1. Requests: a backlog of twenty, and four more before each run.
	// Every third person books, every third asks to join the list, the
	// rest ask for help; more people book than there are places.
	var people []*crashPerson
	feed := func(n int) {
		for range n {
			p := &crashPerson{addr: fmt.Sprintf("person%03d@example.org", len(people)), kind: []string{"book", "join", "help"}[len(people)%3]}
			p.request = fmt.Sprintf("req.%03d@example.org", len(people))
			w := crashWords[p.kind]
			c.deliver(p.addr, crashBot, p.request, "", w.subject, w.text)
			people = append(people, p)
		}
	}
	feed(20)
	requestPoints := []killPoint{
		{random: true},
		{ev: evFetchCmd, nth: 1},
		{ev: evFetchData, nth: 2},
		{ev: evFetchDone, nth: 1, after: 5 * time.Millisecond},
		{ev: evStoreCmd, nth: 1},
		{ev: evStoreDone, nth: 1},
		{ev: evDataCmd, nth: 2},
		{ev: evAccepted, nth: 1},
		{ev: evAccepted, nth: 3},
		{ev: evAccepted, nth: 2, after: 2 * time.Millisecond},
		{ev: evFetchDone, nth: 1, after: 30 * time.Millisecond},
		{random: true},
		{ev: evStoreCmd, nth: 1},
		{ev: evAccepted, nth: 2},
		{random: true},
	}
	run := []string{"run"}
	p := r.rounds(rounds(run, requestPoints), run, func(i int) { feed(4) }, c.allDone)
	r.stop(p)

	// 2. Everyone who asked to join says YES to the bot's question, a few
	// before each run.
	var joiners []*crashPerson
	for _, p := range people {
		if p.kind == "join" {
			joiners = append(joiners, p)
		}
	}
	yesPoints := []killPoint{
		{ev: evStoreCmd, nth: 1},
		{ev: evAccepted, nth: 2},
		{random: true},
		{ev: evFetchDone, nth: 1, after: 10 * time.Millisecond},
		{ev: evDataCmd, nth: 3},
	}
	perRound := (len(joiners) + len(yesPoints) - 1) / len(yesPoints)
	sayYes := func(i int) {
		for _, p := range joiners[min(i*perRound, len(joiners)):min((i+1)*perRound, len(joiners))] {
			ask := c.only(p.addr, func(m *crashMsg) bool { return m.inReplyTo == p.request })
			if ask.replyTo == "" {
				t.Fatalf("the request to confirm sent to %s has no Reply-To", p.addr)
			}
			p.yes = "yes." + p.request
			c.deliver(p.addr, ask.replyTo, p.yes, ask.id, "Re: "+ask.subject, "Yes")
		}
	}
	p = r.rounds(rounds(run, yesPoints), run, sayYes, c.allDone)
	r.stop(p)

	// 3. A newsletter to them and to sixty people already on the list,
	// sent by `mailbot newsletter send`, killed and run again, with a
	// `mailbot run` in between, which sends list mail too.
	readers := slices.Clone(joiners)
	seedSubscribers(t, dbPath, 60, func(addr string) { readers = append(readers, &crashPerson{addr: addr, kind: "reader"}) })
	body := filepath.Join(r.dir, "news.md")
	writeFile(t, body, "Hello,\n\nThe summer sessions are filling up. Reply to this email to book.\n")
	send := []string{"newsletter", "send", "--subject", crashSubject, "--file", body}
	newsletterRounds := []round{
		{send, killPoint{ev: evAccepted, nth: 5}},
		{send, killPoint{ev: evDataCmd, nth: 8}},
		{run, killPoint{ev: evAccepted, nth: 4}},
		{send, killPoint{ev: evAccepted, nth: 1, after: time.Millisecond}},
		{send, killPoint{ev: evAccepted, nth: 12}},
		{send, killPoint{random: true}},
	}
	// A slower SMTP server, so that a newsletter takes a few seconds, as
	// a real one does, and each kill finds copies left to send.
	r.smtp.delay.Store(int64(4 * time.Millisecond))
	p = r.rounds(newsletterRounds, send, nil, func() bool { return c.newsletterDone(len(readers)) })
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("newsletter send still running 10s after its last copy went; log:\n%s", tail(p.log, 20))
	}
	if p.err != nil {
		t.Errorf("the last newsletter send: %v\n%s", p.err, tail(p.log, 20))
	}
	r.checkLogs()

	// What the kills hit.
	r.mu.Lock()
	kills, fired, total := r.kills, maps.Clone(r.fired), r.total
	r.mu.Unlock()
	t.Logf("%d runs, %d kills (%d leaving a message sent but not recorded), in %v; kills by point: %v; events seen: %v",
		len(r.runs), kills, unrecorded, time.Since(start).Round(time.Millisecond), fired, total)
	for _, k := range slices.Concat(requestPoints, yesPoints) {
		if !k.random && fired[k.String()] == 0 {
			t.Errorf("no run was killed %v: the test missed that window", k)
		}
	}
	if midNewsletter < 3 {
		t.Errorf("%d runs were killed part of the way through the newsletter, want at least 3", midNewsletter)
	}

	// Every copy beyond the first is one the server took from a run that
	// died before recording it: nothing else is sent twice.
	if extra := c.checkMail(people, readers); extra != unrecorded {
		t.Errorf("%d extra copies of messages, want %d: one for each message a killed run had sent but not recorded", extra, unrecorded)
	}
	c.checkDatabase(people, joiners, readers)
}

// crashWords is what each kind of person writes.
var crashWords = map[string]struct{ subject, text string }{
	"book": {"Booking", "Hello, please book me on Tea and talk. Thanks"},
	"join": {"Mailing list", "Please add me to your mailing list"},
	"help": {"help", "help"},
}

// round is one run of the binary and where to kill it.
type round struct {
	args []string
	kill killPoint
}

func rounds(args []string, points []killPoint) []round {
	var rs []round
	for _, k := range points {
		rs = append(rs, round{args, k})
	}
	return rs
}

// crashPerson is someone who wrote to the bot, or is on the list.
type crashPerson struct {
	addr    string
	kind    string // book, join, help, or reader (on the list before)
	request string // Message-ID of what they wrote
	yes     string // Message-ID of their YES, for joiners
}

// crashCheck reads the mailboxes and the database from outside the bot.
type crashCheck struct {
	t  *testing.T
	ms *mailserver.Server
	db *sql.DB
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
}

func (c *crashCheck) count(query string, args ...any) int {
	c.t.Helper()
	var n int
	if err := c.db.QueryRow(query, args...).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// allDone holds when every message in the bot's INBOX is recorded, marked
// and flagged \Seen, and nothing is left to send.
func (c *crashCheck) allDone() bool {
	inbox := mailtest.Mailbox(c.t, c.ms.IMAPAddr(), crashBot)
	if c.count(`SELECT count(*) FROM inbound`) != len(inbox) ||
		c.count(`SELECT count(*) FROM inbound WHERE marked = 0`) != 0 ||
		c.count(`SELECT count(*) FROM outbox WHERE status = 'queued'`) != 0 {
		return false
	}
	for _, m := range inbox {
		if !m.Seen() {
			return false
		}
	}
	return true
}

// seenMeansCommitted checks that every message flagged \Seen in the bot's
// INBOX has its record in the database: the flag comes only after the
// commit.
func (c *crashCheck) seenMeansCommitted(gen int) {
	c.t.Helper()
	for _, m := range mailtest.Mailbox(c.t, c.ms.IMAPAddr(), crashBot) {
		if m.Seen() && c.count(`SELECT count(*) FROM inbound WHERE uid = ?`, m.UID) == 0 {
			c.t.Errorf("after run %d was killed, message %d is \\Seen but not recorded", gen, m.UID)
		}
	}
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
		want := map[string]int{"book": 1, "help": 1, "join": 3, "reader": 1}[p.kind]
		if p.kind == "book" && onList[p.addr] {
			want++
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
	if got := c.count(`SELECT count(*) FROM newsletters`); got != 1 {
		c.t.Errorf("%d newsletters recorded, want 1", got)
	}
	if got := c.count(`SELECT count(*) FROM outbox WHERE status <> 'sent'`); got != 0 {
		c.t.Errorf("%d outbox rows not sent", got)
	}
	for _, m := range mailtest.Mailbox(c.t, c.ms.IMAPAddr(), crashBot) {
		if !m.Seen() {
			c.t.Errorf("message %d in the bot's INBOX is not \\Seen", m.UID)
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
