package mailbot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/store/storetest"
	"github.com/betterdays/mailbot/templates"
	"github.com/emersion/go-message/mail"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// deskNow is Tuesday 15 June 2027, 9am in London: the demo timetable's
// sessions are all ahead.
var deskNow = time.Date(2027, 6, 15, 9, 0, 0, 0, mustLoad("Europe/London"))

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// rig is the bot behind a real SQLite file, handling messages given to it
// directly (as the inbox would) and sending its mail with a real SMTP
// client to a recording server, where the test reads it back.
type rig struct {
	t       testing.TB
	bot     *Bot
	st      *store.Store
	clock   *testClock
	outbox  *Outbox
	rec     *mailtest.SMTPServer
	uid     atomic.Uint32
	mu      sync.Mutex
	read    int // recorded messages already handed out
	inbox   map[string][]*sent
	reports int // delivery reports delivered by bounceReport, for their Message-IDs
}

// sent is one message the bot sent, as the recipient reads it.
type sent struct {
	To, Subject, MessageID, ReplyTo string // ReplyTo "" when there is none
	InReplyTo                       []string
	Header                          mail.Header
	Text, HTML                      string
	Invites                         []sentInvite
	Attached                        [][]byte // message/rfc822 parts, decoded
	JSON                            [][]byte // application/json parts, decoded
}

type sentInvite struct {
	ContentType string // the part's Content-Type, as sent
	Raw         string // the object, as sent
	Obj         *calendar.Object
}

func newDesk(t testing.TB, env map[string]string) *rig {
	t.Helper()
	db := filepath.Join(t.TempDir(), "mailbot.db")
	storetest.Migrated(t, db)
	base := map[string]string{
		"MAILBOT_DB":      db,
		"MAILBOT_ADDRESS": botAddress,
		"MAILBOT_IMAP":    "imap://bot@127.0.0.1:1",
		"MAILBOT_SMTP":    "smtp://127.0.0.1:1",
		"MAILBOT_STAFF":   "officer@localhost",
	}
	for k, v := range env {
		base[k] = v
	}
	// Tests send more than a person would; those of the limit set it.
	if _, ok := base["MAILBOT_REPLY_LIMIT"]; !ok {
		base["MAILBOT_REPLY_LIMIT"] = "1000"
	}
	cfg, err := FromEnv(func(k string) string { return base[k] })
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tpl, err := deskTemplates()
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: deskNow}
	d := &rig{t: t, st: st, clock: clock, inbox: map[string][]*sent{}}
	d.rec = mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	log := testLogger(t)
	d.outbox = NewOutbox(st, NewSMTPSender(Endpoint{Host: d.rec.Addr}, "localhost", log), clock, log, time.Millisecond, time.Hour)
	t.Cleanup(func() { d.outbox.Close() })
	if d.bot, err = NewBot(cfg, st, tpl, clock, log, nil); err != nil {
		t.Fatal(err)
	}
	d.outbox.prepare = d.bot
	if _, err := LoadDemoTimetable(context.Background(), st, cfg.TZ, clock.Now()); err != nil {
		t.Fatal(err)
	}
	return d
}

// logTo makes the bot log to l from now on, desk and all.
func (d *rig) logTo(l *slog.Logger) {
	d.t.Helper()
	b, err := NewBot(d.bot.cfg, d.st, d.bot.tpl, d.clock, l, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	d.bot = b
	d.outbox.prepare = b
}

// deskTemplates are parsed once for every desk: a Set is read-only once
// loaded, and a running bot shares its one Set between goroutines too.
var deskTemplates = sync.OnceValues(templates.Load)

// timetable replaces nothing and adds the sessions in csv.
func (d *rig) timetable(csv string) {
	d.t.Helper()
	sessions, err := ReadTimetable(strings.NewReader("id,kind,title,starts,ends,capacity,location,description\n"+csv), d.bot.cfg.TZ)
	if err != nil {
		d.t.Fatal(err)
	}
	if _, err := ImportTimetable(context.Background(), d.st, sessions, d.clock.Now(), d.bot); err != nil {
		d.t.Fatal(err)
	}
}

// send hands the bot a message from a person, as our server receives it
// from their provider: with DMARC passed for their domain, as most
// people's mail does, unless header gives an Authentication-Results of
// its own. Other header lines may be added too.
func (d *rig) send(from, subject, text string, header ...string) string {
	d.t.Helper()
	if !slices.ContainsFunc(header, func(h string) bool {
		return strings.HasPrefix(strings.ToLower(h), "authentication-results:")
	}) {
		if a, err := mail.ParseAddress(from); err == nil {
			_, domain, _ := strings.Cut(a.Address, "@")
			header = append(header, "Authentication-Results: localhost; dmarc=pass header.from="+domain)
		}
	}
	return d.sendAs(from, subject, text, header...)
}

// unproven hands the bot a message that nothing proves is from its From:
// a forger's, or a person's whose provider doesn't authenticate mail.
func (d *rig) unproven(from, subject, text string, header ...string) string {
	d.t.Helper()
	return d.sendAs(from, subject, text, append(header, "Authentication-Results: localhost; none")...)
}

func (d *rig) sendAs(from, subject, text string, header ...string) string {
	d.t.Helper()
	id := fmt.Sprintf("m%d@example.org", d.uid.Add(1))
	var extra strings.Builder
	for _, h := range header {
		extra.WriteString(h + "\r\n")
	}
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Tue, 15 Jun 2027 09:00:00 +0100\r\n%s\r\n%s\r\n",
		from, botAddress, subject, id, extra.String(), text)
	d.deliver(raw)
	return id
}

func (d *rig) deliver(raw string) {
	d.t.Helper()
	uid := d.uid.Add(1)
	err := d.bot.Handle(context.Background(), Delivery{Mailbox: "INBOX", UIDValidity: 1, UID: uid, Received: d.clock.Now(), Size: int64(len(raw)), Raw: []byte(raw)})
	if err != nil {
		d.t.Fatal(err)
	}
}

// reply answers m as a mail client does: to its Reply-To, threaded.
func (d *rig) reply(from string, m *sent, text string) {
	d.t.Helper()
	uid := d.uid.Add(1)
	to := m.ReplyTo
	if to == "" {
		to = botAddress
	}
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: <r%d@example.org>\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\n\r\n%s\r\n\r\nOn Tue, Better Days wrote:\r\n> quoted 1. 2. 3.\r\n",
		from, to, m.Subject, uid, m.MessageID, m.MessageID, text)
	d.deliver(raw)
}

// mail sends what is queued and returns the new messages to rcpt.
func (d *rig) mail(rcpt string) []*sent {
	d.t.Helper()
	if _, err := d.outbox.Drain(context.Background()); err != nil {
		d.t.Fatal(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	acc := d.rec.Accepted()
	for _, m := range acc[d.read:] {
		s := readSent(d.t, m.Data)
		d.inbox[m.To[0]] = append(d.inbox[m.To[0]], s)
	}
	d.read = len(acc)
	out := d.inbox[rcpt]
	delete(d.inbox, rcpt)
	return out
}

// one is the single new message to rcpt.
func (d *rig) one(rcpt string) *sent {
	d.t.Helper()
	got := d.mail(rcpt)
	if len(got) != 1 {
		var subjects []string
		for _, m := range got {
			subjects = append(subjects, m.Subject)
		}
		d.t.Fatalf("%s got %d messages %q, want 1", rcpt, len(got), subjects)
	}
	return got[0]
}

func readSent(t testing.TB, raw []byte) *sent {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("reading sent message: %v", err)
	}
	s := &sent{Header: mr.Header}
	s.Subject, _ = mr.Header.Subject()
	s.MessageID, _ = mr.Header.MessageID()
	if to, _ := mr.Header.AddressList("To"); len(to) == 1 {
		s.To = to[0].Address
	}
	s.InReplyTo, _ = mr.Header.MsgIDList("In-Reply-To")
	if rt, _ := mr.Header.AddressList("Reply-To"); len(rt) == 1 {
		s.ReplyTo = rt[0].Address
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading sent message part: %v", err)
		}
		ct, _, _ := p.Header.(interface {
			ContentType() (string, map[string]string, error)
		}).ContentType()
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		switch ct {
		case "text/plain":
			s.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
		case "text/html":
			s.HTML = string(b)
		case "message/rfc822":
			s.Attached = append(s.Attached, b)
		case "application/json":
			s.JSON = append(s.JSON, b)
		case "text/calendar":
			obj, err := calendar.Parse(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("attached calendar does not parse: %v\n%s", err, b)
			}
			s.Invites = append(s.Invites, sentInvite{ContentType: p.Header.Get("Content-Type"), Raw: string(b), Obj: obj})
		}
	}
	return s
}

// must fails unless the text has every one of want.
func (s *sent) must(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s.Text, w) {
			t.Errorf("%q lacks %q; text:\n%s", s.Subject, w, s.Text)
		}
	}
}

// mustNot fails if the text has any of bad.
func (s *sent) mustNot(t *testing.T, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(s.Text, w) {
			t.Errorf("%q has %q; text:\n%s", s.Subject, w, s.Text)
		}
	}
}

// bookings is the live bookings of a session, as "email status places".
func (d *rig) bookings(session string) []string {
	d.t.Helper()
	var out []string
	err := d.st.ExportBookings(context.Background(), session, func(b store.Booking) error {
		if b.Status != store.Cancelled {
			out = append(out, fmt.Sprintf("%s %s %d", b.Email, b.Status, b.Places))
		}
		return nil
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}
