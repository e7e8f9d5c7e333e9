package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/betterdays/mailbot/mailbot"
	"github.com/betterdays/mailbot/store"
)

// newsletterText is the issue sent: about 4 KB of Markdown once its
// {{sessions}} list is filled in, the size of a real one.
//
//go:embed newsletter.md
var newsletterText string

// newsletter times one newsletter to n subscribers through the real path:
// the draft and queue of `mailbot newsletter send` (DraftNewsletter,
// QueueNewsletter), then the outbox it runs (Bot.NewOutbox: its
// connections, prepared copies with personal unsubscribe links and VERP
// envelope senders, group-committed outcomes), with the sending limits
// off. Making the subscribers and queueing the copies is not timed.
//
// Afterwards it checks that every copy is recorded as sent; with no -smtp
// it sends to a sink of its own that also checks every subscriber got
// exactly one copy, addressed to them, with their own unsubscribe link.
func newsletter(ctx context.Context, e *env, args []string) (result, error) {
	fs := flag.NewFlagSet("newsletter", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var com common
	com.register(fs)
	n := fs.Int("n", 100000, "confirmed subscribers, one copy each")
	smtpAddr := fs.String("smtp", "", "where the copies go, host:port or smtp://user@host:port (password in MAILBOT_SMTP_PASSWORD); default: a checking sink in this process")
	conns := fs.Int("conns", 0, "SMTP connections (default: MAILBOT_SMTP_CONNECTIONS, else the bot's default)")
	file := fs.String("file", "", "the newsletter's Markdown (default: a built-in issue of about 4 KB)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *n < 1 {
		return nil, errors.New("-n must be 1 or more")
	}
	text := newsletterText
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return nil, err
		}
		text = string(b)
	}

	dir, cleanup, err := com.workDir(e)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var sink *checkSink
	if *smtpAddr == "" {
		if sink, err = startCheckSink(); err != nil {
			return nil, err
		}
		defer sink.Close()
		*smtpAddr = sink.Addr
	}
	logFile, err := os.Create(filepath.Join(dir, "mailbot.log"))
	if err != nil {
		return nil, fmt.Errorf("bot log: %w", err)
	}
	defer logFile.Close()
	sent := &sentCounter{next: slog.NewTextHandler(logFile, nil), n: new(atomic.Int64)}
	bl := &botLog{log: slog.New(sent)}

	// The inbox is never started: MAILBOT_IMAP only keeps the bot from
	// starting its embedded mail server.
	set := map[string]string{"MAILBOT_SMTP": smtpURL(*smtpAddr), "MAILBOT_IMAP": "imap://mailbench@127.0.0.1:1"}
	if *conns > 0 {
		set["MAILBOT_SMTP_CONNECTIONS"] = strconv.Itoa(*conns)
	}
	svc, err := startBot(ctx, dir, set, e.getenv, bl)
	if err != nil {
		return nil, err
	}
	defer svc.Close()

	t0 := time.Now()
	if err := addSubscribers(ctx, svc.Store, *n); err != nil {
		return nil, err
	}
	e.progress("%d subscribers added in %.2fs", *n, time.Since(t0).Seconds())
	t0 = time.Now()
	var issue store.Newsletter
	err = svc.Store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if issue, err = svc.Bot.DraftNewsletter(ctx, tx, "Better Days: the summer conversations begin", text, "cli"); err != nil {
			return err
		}
		queued, err := svc.Bot.QueueNewsletter(ctx, tx, issue)
		if err == nil && queued != *n {
			err = fmt.Errorf("queued %d copies, want %d", queued, *n)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sample, err := svc.Bot.Sample(issue, store.Person{ID: int64(*n), Email: subscriberAddress(*n), Name: subscriberName(*n)})
	if err != nil {
		return nil, err
	}
	e.progress("queued in %.2fs; sending %d copies of about %d bytes over %d connections to %s (bot log in %s)",
		time.Since(t0).Seconds(), *n, len(sample), svc.Config.Connections, svc.Config.SMTP.Host, dir)

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	resetPeakRSS()
	stopProfile, err := startCPUProfile(com.cpuProfile)
	if err != nil {
		return nil, err
	}
	start, cpu0 := time.Now(), cpuTime()
	p, err := sendUntilDone(ctx, e, svc, sent, issue.ID, *n)
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	stopProfile()
	peak := peakRSSMB()
	if err != nil {
		return nil, err
	}

	var r result
	r.add("sent", "%d", p.Sent)
	r.add("failed", "%d", p.Failed)
	r.add("seconds", "%.3f", elapsed.Seconds())
	r.add("rate", "%s/s", rate(p.Sent, elapsed))
	r.add("peak_rss_mb", "%.1f", peak)
	r.add("bytes", "%d", len(sample))
	r.add("conns", "%d", svc.Config.Connections)
	r.add("cpu_us", "%.0f", float64(cpu.Microseconds())/float64(max(p.Sent, 1)))
	var problems []string
	if p.Sent != *n {
		problems = append(problems, fmt.Sprintf("%d of %d copies sent (%d failed, %d dropped, %d left)", p.Sent, *n, p.Failed, p.Dropped, p.Queued))
	}
	if sink != nil {
		c := sink.check(*n)
		r.add("delivered", "%d", c.delivered)
		r.add("duplicates", "%d", c.duplicates)
		if c.problem != "" {
			problems = append(problems, c.problem)
		}
	}
	if len(problems) > 0 {
		e.progress("result: %s", r)
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return r, nil
}

// sendUntilDone runs the outbox as `mailbot newsletter send` does until
// every copy of newsletter id has an outcome, and returns the counts. The
// time ends when the bot's log has said n were sent; the database is
// asked only then, and once a second in case some copies fail, since its
// count reads every row of the newsletter.
func sendUntilDone(ctx context.Context, e *env, svc *mailbot.Service, sent *sentCounter, id int64, n int) (store.NewsletterProgress, error) {
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Outbox.Run(runCtx) }()
	defer func() { stop(); <-done }()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	start, lastAsked := time.Now(), time.Now()
	lastReport := start
	for {
		select {
		case <-ctx.Done():
			return store.NewsletterProgress{}, fmt.Errorf("gave up after %d of %d sent: %w", sent.n.Load(), n, ctx.Err())
		case err := <-done:
			return store.NewsletterProgress{}, fmt.Errorf("the outbox stopped early: %v", err)
		case <-tick.C:
		}
		count := int(sent.n.Load())
		if time.Since(lastReport) >= 5*time.Second {
			e.progress("%d of %d sent after %.0fs", count, n, time.Since(start).Seconds())
			lastReport = time.Now()
		}
		if count < n && time.Since(lastAsked) < time.Second {
			continue
		}
		lastAsked = time.Now()
		p, err := svc.Store.NewsletterProgress(ctx, id)
		if err != nil {
			return p, err
		}
		if p.Queued == 0 {
			return p, nil
		}
	}
}

// addSubscribers makes n people and confirms each on the list, in one
// transaction, with the store's own writes.
func addSubscribers(ctx context.Context, st *store.Store, n int) error {
	now := time.Now()
	return st.Write(ctx, func(tx *store.Tx) error {
		for i := 1; i <= n; i++ {
			id, err := tx.NotePerson(ctx, subscriberAddress(i), subscriberName(i), now)
			if err != nil {
				return err
			}
			if err := tx.Confirm(ctx, id, "cli", "reply", "<mailbench-"+strconv.Itoa(i)+"@example.org>", now); err != nil {
				return err
			}
		}
		return nil
	})
}

// subscriberAddress and subscriberName are the ith subscriber's.
func subscriberAddress(i int) string { return fmt.Sprintf("reader%07d@example.org", i) }

func subscriberName(i int) string {
	return firstNames[i%len(firstNames)] + " " + lastNames[(i/len(firstNames))%len(lastNames)]
}

// sentCounter passes every record on to next and counts what the outbox's
// "sent" lines (one per reply) and "list mail sent" lines (one per batch
// of list mail, with its count) say was sent: how the run knows it is
// done without asking the database.
type sentCounter struct {
	next slog.Handler
	n    *atomic.Int64
}

func (h *sentCounter) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *sentCounter) Handle(ctx context.Context, r slog.Record) error {
	switch r.Message {
	case "sent":
		h.n.Add(1)
	case "list mail sent":
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "messages" {
				h.n.Add(a.Value.Int64())
				return false
			}
			return true
		})
	}
	return h.next.Handle(ctx, r)
}

func (h *sentCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &sentCounter{next: h.next.WithAttrs(attrs), n: h.n}
}

func (h *sentCounter) WithGroup(name string) slog.Handler {
	return &sentCounter{next: h.next.WithGroup(name), n: h.n}
}

var _ slog.Handler = (*sentCounter)(nil)
