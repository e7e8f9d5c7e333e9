package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// inbound times a backlog of n letters through the real path: the Service
// that `mailbot run` starts (or, with -mode once, `mailbot run --once`)
// reads them over IMAP, understands and handles each in its transaction,
// flags it \Seen and sends the replies, against a fresh database. Filling
// the mailbox is not timed.
//
// Afterwards it checks the promises the speed must not cost: every letter
// recorded, every one flagged \Seen, every sender answered; and, while the
// bot works, a second IMAP connection watches the \Seen flags appear and
// checks that each flagged message is already committed in the database.
func inbound(ctx context.Context, e *env, args []string) (result, error) {
	fs := flag.NewFlagSet("inbound", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var com common
	com.register(fs)
	n := fs.Int("n", 10000, "letters in the backlog")
	imapURL := fs.String("imap", "", "the bot's mailbox, imap://user@host:port (password in MAILBOT_IMAP_PASSWORD); default: the embedded server")
	smtpAddr := fs.String("smtp", "", "where replies go, host:port or smtp://user@host:port (password in MAILBOT_SMTP_PASSWORD); required with -imap")
	address := fs.String("address", "", "the bot's address (default: MAILBOT_ADDRESS, else the IMAP user when it is an address)")
	mode := fs.String("mode", "run", "run: the daemon (inbox and outbox side by side); once: `mailbot run --once`")
	clear := fs.Bool("clear", false, "delete whatever is in INBOX first")
	watch := fs.Duration("watch", time.Second, "how often to check that flagged messages are committed (0: only at the end)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *n < 1 {
		return nil, errors.New("-n must be 1 or more")
	}
	if *mode != "run" && *mode != "once" {
		return nil, fmt.Errorf("-mode %q: want run or once", *mode)
	}
	set := map[string]string{"MAILBOT_IMAP": "", "MAILBOT_SMTP": ""}
	switch {
	case *imapURL != "" && *smtpAddr != "":
		mb, err := parseMailbox(*imapURL, e.getenv)
		if err != nil {
			return nil, err
		}
		set["MAILBOT_IMAP"], set["MAILBOT_SMTP"] = *imapURL, smtpURL(*smtpAddr)
		set["MAILBOT_ADDRESS"] = botAddress(*address, mb.user, e.getenv)
	case *imapURL != "" || *smtpAddr != "":
		return nil, errors.New("give both -imap and -smtp, or neither for the embedded server")
	case *address != "":
		set["MAILBOT_ADDRESS"] = *address
	}

	dir, cleanup, err := com.workDir(e)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	bl, err := newBotLog(dir)
	if err != nil {
		return nil, err
	}
	defer bl.Close()
	svc, err := startBot(ctx, dir, set, e.getenv, bl)
	if err != nil {
		return nil, err
	}
	defer svc.Close()
	mb := botMailbox(svc)
	if err := prepare(ctx, e, mb, *n, svc.Config.Address, *clear, true); err != nil {
		return nil, err
	}
	c, sel, err := mb.dial(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	letters, err := census(c)
	if err != nil {
		return nil, err
	}
	if len(letters) != *n {
		return nil, fmt.Errorf("the mailbox holds %d messages, want %d", len(letters), *n)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	w := &seenWatch{c: c, st: svc.Store, letters: letters, checked: map[imap.UID]bool{}}
	e.progress("handling %d letters (mode %s, IMAP %s, SMTP %s; bot log in %s)", *n, *mode, svc.Config.IMAP.Host, svc.Config.SMTP.Host, dir)
	resetPeakRSS()
	stopProfile, err := startCPUProfile(com.cpuProfile)
	if err != nil {
		return nil, err
	}
	stopWatch := w.start(ctx, *watch)
	start := time.Now()
	var elapsed time.Duration
	if *mode == "once" {
		err = svc.Once(ctx)
		elapsed = time.Since(start)
	} else {
		elapsed, err = runUntilDrained(ctx, e, svc, bl, *n, sel.UIDValidity)
	}
	stopProfile()
	peak := peakRSSMB()
	stopWatch()
	if err != nil {
		return nil, err
	}
	e.progress("handled in %.2fs; checking what was recorded, flagged and sent", elapsed.Seconds())

	v, err := verify(ctx, e, svc.Store, c, letters)
	if err != nil {
		return nil, err
	}
	if err := w.check(ctx); err != nil { // the flags set at the very end
		return nil, err
	}
	var r result
	r.add("handled", "%d", v.handled)
	r.add("seconds", "%.3f", elapsed.Seconds())
	r.add("rate", "%s/s", rate(v.handled, elapsed))
	r.add("peak_rss_mb", "%.1f", peak)
	r.add("replied", "%d", v.replied)
	r.add("seen", "%d", v.seen)
	r.add("order_checks", "%d", len(w.checked))
	r.add("order_violations", "%d", w.violations)
	r.add("mode", "%s", *mode)
	var problems []string
	if v.handled != *n {
		problems = append(problems, fmt.Sprintf("%d of %d letters recorded", v.handled, *n))
	}
	if v.seen != *n {
		problems = append(problems, fmt.Sprintf("%d of %d letters flagged \\Seen", v.seen, *n))
	}
	if v.replied != *n {
		problems = append(problems, fmt.Sprintf("%d of %d senders answered", v.replied, *n))
	}
	if w.violations > 0 {
		problems = append(problems, fmt.Sprintf("%d letters flagged \\Seen before their commit (first: %s)", w.violations, w.first))
	}
	if len(problems) > 0 {
		e.progress("result: %s", r)
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return r, nil
}

// runUntilDrained runs the Service as the daemon does until every letter
// is recorded and flagged and nothing is left to send, then stops it the
// way SIGTERM does. The time is taken when the work is seen to be done;
// the shutdown after it is not counted.
//
// Watching must not cost the bot: the database's counts scan tables that
// grow with n, so they are asked only once the bot's own log lines say
// every letter is handled and every reply sent (and once a second in case
// those lines ever change), never on every tick.
func runUntilDrained(ctx context.Context, e *env, svc *mailbot.Service, bl *botLog, n int, uidValidity uint32) (time.Duration, error) {
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx, nil) }()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	lastAsked, lastReport := time.Now(), time.Now()
	for {
		select {
		case <-ctx.Done():
			stop()
			<-done
			return 0, fmt.Errorf("gave up: %w", ctx.Err())
		case err := <-done:
			return 0, fmt.Errorf("the bot stopped early: %v", err)
		case <-tick.C:
		}
		c := bl.counts()
		if time.Since(lastReport) >= 5*time.Second {
			e.progress("%d of %d handled, %d of %d replies sent after %.0fs", c.handled, n, c.sent, c.replies, time.Since(start).Seconds())
			lastReport = time.Now()
		}
		if (c.handled < n || c.sent < c.replies) && time.Since(lastAsked) < time.Second {
			continue
		}
		lastAsked = time.Now()
		drained, err := drainedOf(ctx, svc.Store, n, uidValidity)
		if err != nil {
			stop()
			<-done
			return 0, err
		}
		if drained {
			elapsed := time.Since(start)
			stop()
			if err := <-done; err != nil {
				return 0, fmt.Errorf("stopping the bot: %w", err)
			}
			return elapsed, nil
		}
	}
}

// drainedOf reports whether the database has all n letters recorded and
// flagged, and nothing left to send.
func drainedOf(ctx context.Context, st *store.Store, n int, uidValidity uint32) (bool, error) {
	handled, err := st.CountInbound(ctx)
	if err != nil || handled < n {
		return false, err
	}
	stats, err := st.OutboxStats(ctx)
	if err != nil || stats.Queued > 0 {
		return false, err
	}
	unmarked, err := st.Unmarked(ctx, "INBOX", uidValidity)
	return len(unmarked) == 0, err
}

// verified is what the database and the mailbox say after the run.
type verified struct {
	handled, replied, seen int
}

func verify(ctx context.Context, e *env, st *store.Store, c *imapclient.Client, letters map[imap.UID]sent) (verified, error) {
	var v verified
	var err error
	if v.handled, err = st.CountInbound(ctx); err != nil {
		return v, err
	}
	outcomes := map[string]int{}
	for _, l := range letters {
		o, err := st.InboundOutcome(ctx, l.key)
		if err != nil {
			outcomes["(not recorded)"]++
			continue
		}
		// "replied: book (waiting list …)" counts as "replied: book".
		o, _, _ = strings.Cut(o, " (")
		outcomes[o]++
		rows, err := st.OutboxByRcpt(ctx, l.from)
		if err != nil {
			return v, err
		}
		for _, row := range rows {
			if row.Status == "sent" {
				v.replied++
				break
			}
		}
	}
	stats, err := st.OutboxStats(ctx)
	if err != nil {
		return v, err
	}
	if stats.Queued > 0 || stats.Failed > 0 {
		e.progress("outbox: %d still queued, %d failed", stats.Queued, stats.Failed)
	}
	if v.seen, err = countSeen(c); err != nil {
		return v, err
	}
	var kinds []string
	for k := range outcomes {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		e.progress("  %6d  %s", outcomes[k], k)
	}
	return v, nil
}

// seenWatch checks, while the bot works, the promise that a message is
// flagged \Seen only after its commit: every UID it finds flagged must
// already be recorded in the database. A commit that came after the flag
// would show here as a flagged message with no record.
type seenWatch struct {
	c       *imapclient.Client
	st      *store.Store
	letters map[imap.UID]sent

	mu         sync.Mutex
	checked    map[imap.UID]bool
	violations int
	first      string
}

// start checks every interval until the returned function is called; with
// no interval it only checks when asked.
func (w *seenWatch) start(ctx context.Context, every time.Duration) func() {
	if every <= 0 {
		return func() {}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				w.check(ctx)
			}
		}
	}()
	return func() { close(stop); <-done }
}

func (w *seenWatch) check(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	uids, err := seenUIDs(w.c)
	if err != nil {
		return err
	}
	for _, uid := range uids {
		if w.checked[uid] {
			continue
		}
		w.checked[uid] = true
		if _, err := w.st.InboundOutcome(ctx, w.letters[uid].key); err != nil {
			w.violations++
			if w.first == "" {
				w.first = fmt.Sprintf("uid %d, %s", uid, w.letters[uid].key)
			}
		}
	}
	return nil
}
