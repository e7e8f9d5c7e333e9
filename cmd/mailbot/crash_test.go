package main

import (
	"database/sql"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailserver"
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
// the middle of `mailbot newsletter send`; and a few times it is stopped
// with SIGTERM instead, which must log no error and leave nothing sent but
// not recorded. Each time it is started again on the same database and
// mailbox. In the end every request has exactly one answer, every booking
// and subscriber is there once, every newsletter reader has one copy, and
// SQLite's own check passes.
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
	t.Parallel()
	if testing.Short() {
		t.Skip("kills and restarts the bot some forty times")
	}
	sc := newCrashScene(t, "")
	r, c := sc.r, sc.c

	// 1. Requests: a backlog, and more before each run.
	requestPoints := []killPoint{
		{random: true},
		{ev: evFetchCmd, nth: 1},
		{ev: evFetchData, nth: 2},
		{ev: evFetchDone, nth: 1, after: 5 * time.Millisecond},
		{ev: evMarkCmd, nth: 1},
		{ev: evMarkDone, nth: 1},
		{ev: evDataCmd, nth: 2},
		{ev: evAccepted, nth: 1},
		{ev: evAccepted, nth: 3},
		{ev: evAccepted, nth: 2, after: 2 * time.Millisecond},
		{ev: evFetchDone, nth: 1, after: 30 * time.Millisecond},
		{random: true},
		{ev: evMarkCmd, nth: 1},
		{ev: evAccepted, nth: 2},
		{random: true},
		{ev: evAccepted, nth: 2, term: true},
		{ev: evFetchDone, nth: 1, term: true},
	}
	people := sc.requests(requestPoints)
	run := []string{"run"}

	// 2. Everyone who asked to join says YES to the bot's question, a few
	// before each run.
	var joiners []*crashPerson
	for _, p := range people {
		if p.kind == "join" {
			joiners = append(joiners, p)
		}
	}
	yesPoints := []killPoint{
		{ev: evMarkCmd, nth: 1},
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
	p := r.rounds(rounds(run, yesPoints), run, sayYes, c.allDone)
	r.stop(p)

	// 3. A newsletter to them and to sixty people already on the list,
	// sent by `mailbot newsletter send`, killed and run again, with a
	// `mailbot run` in between, which sends list mail too.
	readers := slices.Clone(joiners)
	seedSubscribers(t, sc.dbPath, 60, func(addr string) { readers = append(readers, &crashPerson{addr: addr, kind: "reader"}) })
	body := filepath.Join(r.dir, "news.md")
	writeFile(t, body, "Hello,\n\nThe summer sessions are filling up. Reply to this email to book.\n")
	send := []string{"newsletter", "send", "--subject", crashSubject, "--file", body}
	newsletterRounds := []round{
		{send, killPoint{ev: evAccepted, nth: 5}},
		{send, killPoint{ev: evDataCmd, nth: 8}},
		{run, killPoint{ev: evAccepted, nth: 4}},
		{send, killPoint{ev: evAccepted, nth: 1, after: time.Millisecond}},
		{send, killPoint{ev: evAccepted, nth: 12}},
		{send, killPoint{ev: evAccepted, nth: 3, term: true}},
		{run, killPoint{ev: evAccepted, nth: 3, term: true}},
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

	sc.checkKills(slices.Concat(requestPoints, yesPoints))
	if sc.midNewsletter < 3 {
		t.Errorf("%d runs were killed part of the way through the newsletter, want at least 3", sc.midNewsletter)
	}
	sc.check(people, joiners, readers)
}

// TestCrashSafetyProcessedFolder is TestCrashSafety's first part with
// MAILBOT_PROCESSED_FOLDER set: handled messages are moved out of the
// INBOX rather than flagged \Seen, and a crash around the move must lose
// or repeat nothing either.
func TestCrashSafetyProcessedFolder(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills and restarts the bot a dozen times")
	}
	sc := newCrashScene(t, "Handled")
	points := []killPoint{
		{ev: evFetchData, nth: 2},
		{ev: evMarkCmd, nth: 1},
		{ev: evMarkDone, nth: 1},
		{ev: evAccepted, nth: 2},
		{random: true},
		{ev: evFetchDone, nth: 1, after: 5 * time.Millisecond},
		{ev: evMarkCmd, nth: 1},
		{ev: evMarkDone, nth: 1},
	}
	people := sc.requests(points)
	sc.r.checkLogs()
	sc.checkKills(points)
	sc.check(people, nil, nil)
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

// crashScene is a bot binary, its database and a mail server, with the
// kill proxies between them, and what the kills did.
type crashScene struct {
	t      *testing.T
	r      *crashRig
	c      *crashCheck
	dbPath string
	start  time.Time
	// unrecorded counts the messages the server took from killed runs
	// that were still queued after them: each will be sent again.
	unrecorded int
	// midNewsletter counts the kills that left the newsletter part sent.
	midNewsletter int
}

// newCrashScene starts the mail server and the proxies, and imports by the
// CLI a timetable of one session with five places, six weeks ahead.
// folder, when set, is MAILBOT_PROCESSED_FOLDER.
func newCrashScene(t *testing.T, folder string) *crashScene {
	t.Helper()
	ms, err := mailserver.Start(mailserver.Options{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	r := newCrashRig(t, 20270615, ms.IMAPAddr(), ms.SMTPAddr())
	sc := &crashScene{t: t, r: r, dbPath: filepath.Join(r.dir, "mailbot.db"), start: time.Now()}
	r.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"MAILBOT_DB=" + sc.dbPath,
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
	if folder != "" {
		r.env = append(r.env, "MAILBOT_PROCESSED_FOLDER="+folder)
	}

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
	db, err := sql.Open("sqlite3", "file:"+sc.dbPath+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sc.c = &crashCheck{t: t, ms: ms, db: db, folder: folder}

	// After each kill: which messages the server took from that run that
	// it did not live to record as sent. Each will go again, the same.
	r.afterKill = func(p *botProc) {
		r.mu.Lock()
		took := maps.Clone(r.accepted[p.gen])
		r.mu.Unlock()
		n := 0
		for _, id := range sc.c.queued() {
			if took[id] {
				n++
			}
		}
		switch {
		case p.stoppedBy() == "term" && n > 0:
			t.Errorf("run %d, stopped by SIGTERM, left %d messages sent but not recorded: a clean stop records what it sent", p.gen, n)
		case n > crashConns:
			t.Errorf("run %d left %d messages sent but not recorded, more than one per SMTP connection (%d)", p.gen, n, crashConns)
		}
		sc.unrecorded += n
		sc.c.markedMeansCommitted(p.gen)
		if sent, all := sc.c.count(`SELECT count(*) FROM outbox WHERE kind = 'newsletter' AND status = 'sent'`),
			sc.c.count(`SELECT count(*) FROM outbox WHERE kind = 'newsletter'`); sent > 0 && sent < all {
			sc.midNewsletter++
		}
	}
	return sc
}

// requests feeds the bot a backlog of twenty requests, and four more
// before each run, killing one run at each point, until every request is
// answered, and then stops the bot cleanly. Every third person books,
// every third asks to join the list, the rest ask for help; more people
// book than there are places.
func (sc *crashScene) requests(points []killPoint) []*crashPerson {
	sc.t.Helper()
	var people []*crashPerson
	feed := func(n int) {
		for range n {
			p := &crashPerson{addr: fmt.Sprintf("person%03d@example.org", len(people)), kind: []string{"book", "join", "help"}[len(people)%3]}
			p.request = fmt.Sprintf("req.%03d@example.org", len(people))
			w := crashWords[p.kind]
			sc.c.deliver(p.addr, crashBot, p.request, "", w.subject, w.text)
			people = append(people, p)
		}
	}
	feed(20)
	run := []string{"run"}
	p := sc.r.rounds(rounds(run, points), run, func(int) { feed(4) }, sc.c.allDone)
	sc.r.stop(p)
	return people
}

// checkKills logs what the kills hit, and fails the test for each point
// no run was killed at.
func (sc *crashScene) checkKills(points []killPoint) {
	sc.t.Helper()
	r := sc.r
	r.mu.Lock()
	kills, fired, total := r.kills, maps.Clone(r.fired), r.total
	r.mu.Unlock()
	sc.t.Logf("%d runs, %d kills (%d leaving a message sent but not recorded), in %v; kills by point: %v; events seen: %v",
		len(r.runs), kills, sc.unrecorded, time.Since(sc.start).Round(time.Millisecond), fired, total)
	for _, k := range points {
		if !k.random && fired[k.String()] == 0 {
			sc.t.Errorf("no run was killed %v: the test missed that window", k)
		}
	}
}

// check checks the mailboxes and the database once all is done. Every
// copy beyond the first must be one the server took from a run that died
// before recording it: nothing else goes twice.
func (sc *crashScene) check(people, joiners, readers []*crashPerson) {
	sc.t.Helper()
	if extra := sc.c.checkMail(people, readers); extra != sc.unrecorded {
		sc.t.Errorf("%d extra copies of messages, want %d: one for each message a killed run had sent but not recorded", extra, sc.unrecorded)
	}
	sc.c.checkDatabase(people, joiners, readers)
}
